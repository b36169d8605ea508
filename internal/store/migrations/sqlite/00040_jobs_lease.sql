-- Scheduled runs hold a lease that the running process renews while the job
-- works; a run whose lease lapsed (the process died) is taken over by the
-- next runner. attempts counts how often the slot was started.

-- +goose Up
ALTER TABLE scheduled_runs ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE scheduled_runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE scheduled_runs DROP COLUMN attempts;
ALTER TABLE scheduled_runs DROP COLUMN lease_until;
