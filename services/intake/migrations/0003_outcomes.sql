-- The outcomes at the door (DOMAIN.md §3), lanes, cross-region sites, documents, corrections
-- and 容缺 supplies (issue 3).

-- 收件地 is centre_id; 办理地 (the deciding side, DOMAIN §1 cross-region) is
-- deciding_centre_id, equal to centre_id unless the case was received elsewhere.
ALTER TABLE cases
    ADD COLUMN deciding_centre_id text CHECK (deciding_centre_id ~ '^[0-9]{12}$'),
    ADD COLUMN outcome text NOT NULL DEFAULT 'accepted'
        CHECK (outcome IN ('accepted', 'decided_on_spot', 'notice', 'rongque', 'not_accepted')),
    ADD COLUMN love_lane boolean NOT NULL DEFAULT false,     -- 爱心通道
    ADD COLUMN love_reasons text NOT NULL DEFAULT '',        -- age_60_plus,under_16,pregnant,…
    ADD COLUMN green_lane boolean NOT NULL DEFAULT false,    -- 绿色通道
    ADD COLUMN green_by text NOT NULL DEFAULT '',            -- the supervisor who set it
    ADD COLUMN green_reason text NOT NULL DEFAULT '',
    ADD COLUMN rongque boolean NOT NULL DEFAULT false,       -- accepted under 容缺
    ADD COLUMN supply_due_at timestamptz,                    -- 容缺 supply deadline
    ADD COLUMN promised_due_at timestamptz,                  -- on the receipt (deadlined)
    ADD COLUMN notice_at timestamptz,                        -- one-time notice given
    ADD COLUMN closed_reason text NOT NULL DEFAULT '',       -- not accepted / withdrawn / terminated
    ADD CHECK (NOT rongque OR supply_due_at IS NOT NULL),
    ADD CHECK (supply_due_at IS NULL OR promised_due_at IS NULL OR supply_due_at <= promised_due_at);

-- What a one-time notice or a 容缺 supply list named, and when each was supplied. A later
-- correction may only supply rows of this table (DOMAIN §3: nothing may be asked for later
-- that the notice did not list).
CREATE TABLE case_outstanding (
    case_no        text NOT NULL REFERENCES cases (case_no),
    material_code  text NOT NULL,
    name           text NOT NULL,
    why            text NOT NULL,                      -- "missing" or the defect found
    list           text NOT NULL CHECK (list IN ('notice', 'rongque')),
    supplied_at    timestamptz,
    PRIMARY KEY (case_no, material_code)
);

-- Every written record given to the applicant (受理凭证, 一次性告知书, 容缺受理通知书,
-- 不予受理决定书, 即办结果, 补正回执, 撤回确认): the packed onewindow.v1.Document, numbered
-- per case from 1, never changed.
CREATE TABLE case_documents (
    case_no    text    NOT NULL REFERENCES cases (case_no),
    doc_seq    integer NOT NULL CHECK (doc_seq >= 1),
    kind       text    NOT NULL,
    issued_at  timestamptz NOT NULL,
    document   bytea   NOT NULL,
    PRIMARY KEY (case_no, doc_seq)
);

-- The dishonesty list (失信被执行人 / 严重失信主体名单) as loaded by an operator: 容缺 is
-- refused to anyone on it (DOMAIN §3).
CREATE TABLE dishonest_applicants (
    id_number  text PRIMARY KEY CHECK (id_number ~ '^[0-9A-Z]{18}$'),
    listed_at  timestamptz NOT NULL DEFAULT now(),
    source     text NOT NULL DEFAULT ''
);

-- Which centres may accept an item version (none listed = every centre).
CREATE TABLE item_centres (
    impl_code  text    NOT NULL,
    version    integer NOT NULL,
    centre_id  text    NOT NULL CHECK (centre_id ~ '^[0-9]{12}$'),
    PRIMARY KEY (impl_code, version, centre_id),
    FOREIGN KEY (impl_code, version) REFERENCES items (impl_code, version)
);
