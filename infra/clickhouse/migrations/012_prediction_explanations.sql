-- Each prediction's explanation, from its record's telltale-explanation header (packages/contracts
-- prediction-explanation.ts): JSON of the average visitor's log-odds (intercept), this visitor's (logit) and the three
-- inputs that moved it most ({input, value, contribution}, contribution = coefficient × standardised value). Empty for
-- predictions written before the scorer sent it; the query API then recomputes it from session_features and models.
ALTER TABLE predictions ADD COLUMN IF NOT EXISTS explanation String DEFAULT '' COMMENT 'JSON: intercept, logit, top three contributions';
