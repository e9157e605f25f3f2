-- Appointments (预约) and the hall queue (排号叫号), DOMAIN.md §3; docs/intake.md "Appointments
-- and the hall queue". Times are microseconds of system time written by the daemon (test-clock
-- aware, as timer_commands); local_day is the local (UTC+8) date the daemon computed, for the
-- one-booking-per-day rule, the tickets' daily numbers and the hall statistics.

-- Bookable periods: one window of a centre, one group of items, a capacity.
CREATE TABLE slots (
    slot_id     bigserial PRIMARY KEY,
    centre_id   text    NOT NULL CHECK (centre_id ~ '^[0-9]{12}$'),
    item_group  text    NOT NULL CHECK (item_group ~ '^[A-Za-z0-9._-]{1,64}$'),
    window_code text    NOT NULL CHECK (window_code ~ '^[A-Za-z0-9._-]{1,16}$'),
    start_us    bigint  NOT NULL,
    end_us      bigint  NOT NULL,
    capacity    integer NOT NULL CHECK (capacity BETWEEN 0 AND 10000),
    -- bookings held (booked or arrived): the booking takes it with a guarded UPDATE, so
    -- concurrent bookings never pass the capacity (the CHECK is the last line)
    booked      integer NOT NULL DEFAULT 0 CHECK (booked >= 0 AND booked <= capacity),
    CHECK (end_us > start_us),
    UNIQUE (centre_id, window_code, start_us)
);
CREATE INDEX slots_free ON slots (centre_id, start_us) WHERE booked < capacity;

CREATE TABLE appointments (
    appointment_id  bigserial PRIMARY KEY,
    slot_id         bigint  NOT NULL REFERENCES slots,
    centre_id       text    NOT NULL,
    item_group      text    NOT NULL,
    window_code     text    NOT NULL,
    slot_start_us   bigint  NOT NULL,
    slot_end_us     bigint  NOT NULL,
    local_day       date    NOT NULL, -- of the slot's start
    applicant_name  text    NOT NULL,
    id_type         text    NOT NULL CHECK (id_type IN ('resident_id', 'uscc')),
    id_number       text    NOT NULL,
    phone           text    NOT NULL,
    state           text    NOT NULL CHECK (state IN ('booked', 'cancelled', 'arrived', 'no_show')),
    booked_at_us    bigint  NOT NULL,
    cancelled_at_us bigint  NOT NULL DEFAULT 0,
    arrived_at_us   bigint  NOT NULL DEFAULT 0,
    no_show_at_us   bigint  NOT NULL DEFAULT 0,
    reason          text    NOT NULL DEFAULT '',
    ticket_id       bigint
);
-- One booking per person per day (DOMAIN §3), whatever the centre: the check in C reports it
-- with every other reason; this index is the last line against a concurrent second booking.
CREATE UNIQUE INDEX appointments_one_per_day ON appointments (id_number, local_day)
    WHERE state IN ('booked', 'arrived');
CREATE INDEX appointments_no_shows ON appointments (id_number, no_show_at_us)
    WHERE state = 'no_show';

-- A booking block decided when a no-show reached the limit (2 within 90 days → 3 months):
-- the record shown to staff and integrators; bookings are checked against the no-shows
-- themselves under the configured rule (appointment_rules.h).
CREATE TABLE booking_blocks (
    id_number       text   NOT NULL,
    appointment_id  bigint NOT NULL REFERENCES appointments,
    blocked_from_us bigint NOT NULL,
    blocked_until_us bigint NOT NULL CHECK (blocked_until_us > blocked_from_us),
    PRIMARY KEY (id_number, appointment_id)
);

CREATE TABLE queue_tickets (
    ticket_id       bigserial PRIMARY KEY,
    centre_id       text    NOT NULL CHECK (centre_id ~ '^[0-9]{12}$'),
    window_code     text    NOT NULL CHECK (window_code ~ '^[A-Za-z0-9._-]{1,16}$'),
    local_day       date    NOT NULL,
    serial          integer NOT NULL CHECK (serial > 0),
    state           text    NOT NULL
                    CHECK (state IN ('waiting', 'called', 'missed', 'serving', 'done', 'void')),
    love            boolean NOT NULL DEFAULT false,
    love_reasons    text    NOT NULL DEFAULT '', -- comma-separated (lanes.h)
    appointment_id  bigint  REFERENCES appointments,
    slot_start_us   bigint  NOT NULL DEFAULT 0,
    slot_end_us     bigint  NOT NULL DEFAULT 0,
    id_type         text    NOT NULL DEFAULT '',
    id_number       text    NOT NULL DEFAULT '',
    taken_at_us     bigint  NOT NULL,
    queued_at_us    bigint  NOT NULL, -- place in the queue: taken, or the last requeue
    called_at_us    bigint  NOT NULL DEFAULT 0,
    missed_at_us    bigint  NOT NULL DEFAULT 0,
    serving_at_us   bigint  NOT NULL DEFAULT 0,
    done_at_us      bigint  NOT NULL DEFAULT 0,
    voided_at_us    bigint  NOT NULL DEFAULT 0,
    misses          integer NOT NULL DEFAULT 0,
    waiting_seconds bigint  NOT NULL DEFAULT 0,
    serving_seconds bigint  NOT NULL DEFAULT 0,
    served_by       text    NOT NULL DEFAULT '',
    UNIQUE (centre_id, window_code, local_day, serial)
);
CREATE INDEX queue_tickets_waiting ON queue_tickets (centre_id, window_code)
    WHERE state = 'waiting';
CREATE INDEX queue_tickets_day ON queue_tickets (centre_id, local_day);

-- The last ticket serial per (centre, window, local day): taken in the ticket's transaction
-- with INSERT … ON CONFLICT DO UPDATE … RETURNING, so the numbers of a day are gapless.
CREATE TABLE queue_counters (
    centre_id   text    NOT NULL,
    window_code text    NOT NULL,
    local_day   date    NOT NULL,
    last_serial integer NOT NULL,
    PRIMARY KEY (centre_id, window_code, local_day)
);
