-- Issue 4: a case accepted under 容缺 whose stages all approved waits for its outstanding
-- materials before the decision is issued (DOMAIN §3: 办结（容缺通过） only after all
-- materials are in). routing says so with case.awaiting_materials; intake keeps when, so that
-- the case shows it until routing's case.decided (12) or the supply deadline's termination.
ALTER TABLE cases ADD COLUMN awaiting_materials_at timestamptz;
