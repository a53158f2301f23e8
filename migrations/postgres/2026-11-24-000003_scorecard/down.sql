DROP TABLE measurements;
DROP TABLE targets;
DROP TABLE indicator_responsibles;
DROP TABLE indicators;
