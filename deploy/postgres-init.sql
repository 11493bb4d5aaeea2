-- Runs once, when the postgres service initialises an empty data volume. POSTGRES_DB (dagster)
-- holds the Dagster instance; the review database lives beside it on the same server.
CREATE DATABASE reviews;
