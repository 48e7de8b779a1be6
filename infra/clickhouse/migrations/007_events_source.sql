-- The collector source (write key's name) of every event, from events.clean; rows from before it say 'http'.
ALTER TABLE events ADD COLUMN IF NOT EXISTS source LowCardinality(String) DEFAULT 'http';
