DROP TABLE objective_links;
DROP TABLE objective_responsibles;
DROP TABLE objectives;
DROP TABLE themes;
DROP TABLE ecosystem_members;
DROP TABLE perspectives;
DROP TABLE ecosystems;
