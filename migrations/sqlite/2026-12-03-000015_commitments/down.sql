DROP TABLE commitment_status_changes;
DROP TABLE commitment_investments;
DROP TABLE commitment_objectives;
DROP TABLE commitments;
