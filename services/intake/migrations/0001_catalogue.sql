-- The service-item catalogue (事项实施清单), DOMAIN.md §2.
--
-- An item is what an application is for: the smallest unit (业务办理项) of the national
-- catalogue as this county implements it. Items change over time (动态调整): a change adds a
-- new version and retires the old one; rows are never edited in place, because a case keeps
-- the version it was accepted under (cases reference (impl_code, version)).

CREATE TABLE items (
    impl_code        text    NOT NULL CHECK (impl_code ~ '^[A-Za-z0-9._-]{1,64}$'), -- 实施编码: what an application names
    version          integer NOT NULL CHECK (version >= 1),
    item_code        text    NOT NULL CHECK (item_code ~ '^[A-Za-z0-9._-]{1,64}$'), -- 事项编码: the basic code in the national catalogue
    name             text    NOT NULL CHECK (name <> ''),
    -- 行政许可 licensing, 行政确认 confirmation, 行政给付 payment, 行政奖励 reward,
    -- 行政裁决 adjudication, 行政备案 filing, 其他行政权力 other_power, 公共服务 public_service
    item_type        text    NOT NULL CHECK (item_type IN ('licensing', 'confirmation', 'payment',
                                 'reward', 'adjudication', 'filing', 'other_power', 'public_service')),
    department_code  text    NOT NULL CHECK (department_code <> ''),
    department_name  text    NOT NULL CHECK (department_name <> ''),
    legal_basis      text    NOT NULL DEFAULT '',
    -- 即办件 (immediate: decided on the spot) or 承诺件 (promised: decided within N units)
    handling_kind    text    NOT NULL CHECK (handling_kind IN ('immediate', 'promised')),
    legal_limit      integer NOT NULL CHECK (legal_limit >= 0),    -- 法定时限
    promised_limit   integer NOT NULL CHECK (promised_limit >= 0), -- 承诺时限
    limit_unit       text    NOT NULL DEFAULT 'working_days'
                             CHECK (limit_unit IN ('working_days', 'natural_days', 'working_hours', 'natural_hours')),
    valid_from       timestamptz NOT NULL DEFAULT now(),
    retired_at       timestamptz,                                  -- NULL: the current version
    PRIMARY KEY (impl_code, version),
    -- DOMAIN §2: the promised limit may never exceed the legal limit.
    CHECK (promised_limit <= legal_limit),
    -- 即办件 are promised on the spot (0); 承诺件 promise at least one unit.
    CHECK ((handling_kind = 'immediate') = (promised_limit = 0)),
    CHECK (retired_at IS NULL OR retired_at >= valid_from)
);

-- At most one current version per item: the one a new application is accepted under.
CREATE UNIQUE INDEX items_one_current ON items (impl_code) WHERE retired_at IS NULL;
CREATE INDEX items_by_department ON items (department_code) WHERE retired_at IS NULL;

-- The materials list of one item version (申请材料目录).
CREATE TABLE item_materials (
    impl_code        text    NOT NULL,
    version          integer NOT NULL,
    material_code    text    NOT NULL CHECK (material_code ~ '^[A-Za-z0-9._-]{1,64}$'),
    name             text    NOT NULL CHECK (name <> ''),
    form             text    NOT NULL CHECK (form IN ('original', 'copy', 'electronic')), -- 原件 / 复印件 / 电子件
    copies           integer NOT NULL DEFAULT 1 CHECK (copies BETWEEN 0 AND 99),         -- 0: shown, not kept
    required         boolean NOT NULL,
    rongque_allowed  boolean NOT NULL DEFAULT false, -- may be missing under 容缺受理 (DOMAIN §3)
    shared_by_data   boolean NOT NULL DEFAULT false, -- obtained by data sharing: never demanded from the applicant
    position         integer NOT NULL DEFAULT 0,     -- order on the printed list
    PRIMARY KEY (impl_code, version, material_code),
    FOREIGN KEY (impl_code, version) REFERENCES items (impl_code, version)
);
