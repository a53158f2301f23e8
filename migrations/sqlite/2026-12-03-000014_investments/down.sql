DROP TABLE investment_settings;
DROP TABLE investment_snapshots;
DROP TABLE investment_plans;
DROP TABLE investment_links;
DROP TABLE investments;
