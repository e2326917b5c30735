-- VirtualIoT's PostgreSQL schema for Orleans' ADO.NET clustering, grain persistence and reminders
-- (invariant "Npgsql").
--
-- The providers read their SQL from OrleansQuery by key and bind parameters and result columns by name, so the
-- table, column, parameter and query-key names below follow the contract of dotnet/orleans (src/AdoNet). The
-- statements themselves are ours. The script is idempotent: the platform runs it at every start under an
-- advisory lock (see PostgresSchema.cs), so a fresh database needs no manual step and silos may start together.
-- Every parameter is cast where it is used, so PostgreSQL never has to guess a type from a NULL.
-- Requires PostgreSQL 15 (UNIQUE ... NULLS NOT DISTINCT).

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL,
    QueryText varchar(8000) NOT NULL,
    CONSTRAINT OrleansQuery_Key PRIMARY KEY (QueryKey)
);

-- ---- clustering -----------------------------------------------------------------------------------------------

-- One row per cluster (DeploymentId = ClusterId); Version is the membership table's optimistic-concurrency token.
CREATE TABLE IF NOT EXISTS OrleansMembershipVersionTable
(
    DeploymentId varchar(150)   NOT NULL,
    Timestamp    timestamptz(3) NOT NULL DEFAULT now(),
    Version      integer        NOT NULL DEFAULT 0,
    CONSTRAINT PK_OrleansMembershipVersionTable_DeploymentId PRIMARY KEY (DeploymentId)
);

-- One row per silo incarnation (address, port, generation).
CREATE TABLE IF NOT EXISTS OrleansMembershipTable
(
    DeploymentId varchar(150)   NOT NULL,
    Address      varchar(45)    NOT NULL,
    Port         integer        NOT NULL,
    Generation   integer        NOT NULL,
    SiloName     varchar(150)   NOT NULL,
    HostName     varchar(150)   NOT NULL,
    Status       integer        NOT NULL,
    ProxyPort    integer        NULL,
    SuspectTimes varchar(8000)  NULL,
    StartTime    timestamptz(3) NOT NULL,
    IAmAliveTime timestamptz(3) NOT NULL,
    CONSTRAINT PK_MembershipTable_DeploymentId PRIMARY KEY (DeploymentId, Address, Port, Generation)
);

-- Adds a silo's row and bumps the table version, both or neither: the version row is locked first and checked
-- against the version the silo read, so a concurrent change makes this return 0 without writing anything.
CREATE OR REPLACE FUNCTION virtualiot_membership_insert(
    p_deployment_id text, p_address text, p_port integer, p_generation integer, p_silo_name text,
    p_host_name text, p_status integer, p_proxy_port integer, p_start_time timestamptz,
    p_i_am_alive_time timestamptz, p_version integer)
RETURNS integer LANGUAGE plpgsql AS $body$
BEGIN
    PERFORM 1 FROM OrleansMembershipVersionTable
    WHERE DeploymentId = p_deployment_id AND Version = p_version
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    INSERT INTO OrleansMembershipTable
        (DeploymentId, Address, Port, Generation, SiloName, HostName, Status, ProxyPort, StartTime, IAmAliveTime)
    VALUES
        (p_deployment_id, p_address, p_port, p_generation, p_silo_name, p_host_name, p_status, p_proxy_port,
         p_start_time, p_i_am_alive_time)
    ON CONFLICT ON CONSTRAINT PK_MembershipTable_DeploymentId DO NOTHING;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE OrleansMembershipVersionTable SET Version = Version + 1, Timestamp = now()
    WHERE DeploymentId = p_deployment_id;
    RETURN 1;
END
$body$;

-- Changes a silo's row and bumps the table version, both or neither (same locking as the insert).
CREATE OR REPLACE FUNCTION virtualiot_membership_update(
    p_deployment_id text, p_address text, p_port integer, p_generation integer, p_status integer,
    p_suspect_times text, p_i_am_alive_time timestamptz, p_version integer)
RETURNS integer LANGUAGE plpgsql AS $body$
BEGIN
    PERFORM 1 FROM OrleansMembershipVersionTable
    WHERE DeploymentId = p_deployment_id AND Version = p_version
    FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE OrleansMembershipTable
    SET Status = p_status, SuspectTimes = p_suspect_times, IAmAliveTime = p_i_am_alive_time
    WHERE DeploymentId = p_deployment_id AND Address = p_address AND Port = p_port AND Generation = p_generation;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    UPDATE OrleansMembershipVersionTable SET Version = Version + 1, Timestamp = now()
    WHERE DeploymentId = p_deployment_id;
    RETURN 1;
END
$body$;

-- ---- grain persistence ----------------------------------------------------------------------------------------

-- One row per grain state. A cleared state keeps its row with a NULL payload (a tombstone) so that its version
-- keeps counting; reads skip tombstones and a first write revives one.
CREATE TABLE IF NOT EXISTS OrleansStorage
(
    GrainIdHash            integer                NOT NULL,
    GrainIdN0              bigint                 NOT NULL,
    GrainIdN1              bigint                 NOT NULL,
    GrainTypeHash          integer                NOT NULL,
    GrainTypeString        varchar(512)           NOT NULL,
    GrainIdExtensionString varchar(512)           NULL,
    ServiceId              varchar(150)           NOT NULL,
    PayloadBinary          bytea                  NULL,
    ModifiedOn             timestamp without time zone NOT NULL,
    Version                integer                NOT NULL,
    CONSTRAINT UX_OrleansStorage_Grain UNIQUE NULLS NOT DISTINCT
        (GrainIdHash, GrainTypeHash, ServiceId, GrainIdN0, GrainIdN1, GrainTypeString, GrainIdExtensionString)
);

-- VirtualIoT's own grain state table, written by Silo/Storage/PostgresGrainStorage.cs (Storage:Postgres:GroupCommit,
-- the default). Keyed by Orleans' grain id text and state name; Version is the ETag, counted from 1 by the first
-- write; a cleared state is deleted. FILLFACTOR leaves room on each page so that an update of a small state can stay
-- a heap-only tuple (no index write).
CREATE TABLE IF NOT EXISTS virtualiot_grain_state
(
    service_id  varchar(150) NOT NULL,
    grain_id    text         NOT NULL,
    state_name  varchar(150) NOT NULL,
    version     bigint       NOT NULL,
    payload     bytea        NOT NULL,
    modified_on timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_virtualiot_grain_state PRIMARY KEY (service_id, grain_id, state_name)
) WITH (fillfactor = 90);

-- Payloads over about 2 KB (a container's record with its open segment, a sealed segment) are compressed when
-- stored: with lz4 rather than the default pglz, which took 15 % of PostgreSQL's CPU under contentInstance creates.
-- Altered only when not yet so (the ALTER locks the table); a server built without lz4 keeps pglz.
DO $$
BEGIN
    IF (SELECT attcompression FROM pg_attribute
        WHERE attrelid = 'virtualiot_grain_state'::regclass AND attname = 'payload') IS DISTINCT FROM 'l' THEN
        ALTER TABLE virtualiot_grain_state ALTER COLUMN payload SET COMPRESSION lz4;
    END IF;
EXCEPTION WHEN feature_not_supported THEN
    NULL;
END $$;

-- ---- reminders ------------------------------------------------------------------------------------------------

-- One row per (service, grain, reminder name). GrainHash is the grain's uniform hash as a signed integer: each silo
-- reads the reminders of its own hash range. Period is in milliseconds; Version is the reminder's ETag.
-- GrainId holds Orleans' full grain id text ("type/key"), hence longer than OrleansStorage's key column.
CREATE TABLE IF NOT EXISTS OrleansRemindersTable
(
    ServiceId    varchar(150)   NOT NULL,
    GrainId      varchar(1024)  NOT NULL,
    ReminderName varchar(512)   NOT NULL,
    StartTime    timestamptz(3) NOT NULL,
    Period       bigint         NOT NULL,
    GrainHash    integer        NOT NULL,
    Version      integer        NOT NULL,
    CONSTRAINT PK_OrleansRemindersTable PRIMARY KEY (ServiceId, GrainId, ReminderName)
);

-- The silo-range reads (ReadRangeRows1Key/ReadRangeRows2Key) filter on the hash.
CREATE INDEX IF NOT EXISTS IX_OrleansRemindersTable_GrainHash ON OrleansRemindersTable (ServiceId, GrainHash);

-- ---- queries --------------------------------------------------------------------------------------------------

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('InsertMembershipVersionKey', $q$
WITH inserted AS (
    INSERT INTO OrleansMembershipVersionTable (DeploymentId)
    VALUES (CAST(@DeploymentId AS varchar))
    ON CONFLICT ON CONSTRAINT PK_OrleansMembershipVersionTable_DeploymentId DO NOTHING
    RETURNING 1)
SELECT CAST(count(*) AS integer) FROM inserted
$q$),
('InsertMembershipKey', $q$
SELECT virtualiot_membership_insert(CAST(@DeploymentId AS text), CAST(@Address AS text), CAST(@Port AS integer),
    CAST(@Generation AS integer), CAST(@SiloName AS text), CAST(@HostName AS text), CAST(@Status AS integer),
    CAST(@ProxyPort AS integer), CAST(@StartTime AS timestamptz), CAST(@IAmAliveTime AS timestamptz),
    CAST(@Version AS integer))
$q$),
('UpdateMembershipKey', $q$
SELECT virtualiot_membership_update(CAST(@DeploymentId AS text), CAST(@Address AS text), CAST(@Port AS integer),
    CAST(@Generation AS integer), CAST(@Status AS integer), CAST(@SuspectTimes AS text),
    CAST(@IAmAliveTime AS timestamptz), CAST(@Version AS integer))
$q$),
('UpdateIAmAlivetimeKey', $q$
UPDATE OrleansMembershipTable
SET IAmAliveTime = GREATEST(IAmAliveTime, CAST(@IAmAliveTime AS timestamptz))
WHERE DeploymentId = CAST(@DeploymentId AS varchar) AND Address = CAST(@Address AS varchar)
    AND Port = CAST(@Port AS integer) AND Generation = CAST(@Generation AS integer)
$q$),
('MembershipReadRowKey', $q$
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
    m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
    AND m.Address = CAST(@Address AS varchar) AND m.Port = CAST(@Port AS integer)
    AND m.Generation = CAST(@Generation AS integer)
WHERE v.DeploymentId = CAST(@DeploymentId AS varchar)
$q$),
('MembershipReadAllKey', $q$
SELECT v.DeploymentId, m.Address, m.Port, m.Generation, m.SiloName, m.HostName, m.Status, m.ProxyPort,
    m.SuspectTimes, m.StartTime, m.IAmAliveTime, v.Version
FROM OrleansMembershipVersionTable v
LEFT JOIN OrleansMembershipTable m ON m.DeploymentId = v.DeploymentId
WHERE v.DeploymentId = CAST(@DeploymentId AS varchar)
$q$),
('DeleteMembershipTableEntriesKey', $q$
WITH members AS (
    DELETE FROM OrleansMembershipTable WHERE DeploymentId = CAST(@DeploymentId AS varchar))
DELETE FROM OrleansMembershipVersionTable WHERE DeploymentId = CAST(@DeploymentId AS varchar)
$q$),
('GatewaysQueryKey', $q$
SELECT Address, ProxyPort, Generation
FROM OrleansMembershipTable
WHERE DeploymentId = CAST(@DeploymentId AS varchar) AND Status = CAST(@Status AS integer) AND ProxyPort > 0
$q$),
-- Status 6 is Dead: only rows of dead silos that stopped heart-beating before the cut-off are removed.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = CAST(@DeploymentId AS varchar) AND Status = 6
    AND IAmAliveTime < CAST(@IAmAliveTime AS timestamptz)
$q$),
('CleanupDefunctSiloEntryKey', $q$
DELETE FROM OrleansMembershipTable
WHERE DeploymentId = CAST(@DeploymentId AS varchar) AND Status = 6
    AND Address = CAST(@Address AS varchar) AND Port = CAST(@Port AS integer)
    AND Generation = CAST(@Generation AS integer)
    AND IAmAliveTime = CAST(@IAmAliveTime AS timestamptz) AND StartTime = CAST(@StartTime AS timestamptz)
    AND SuspectTimes IS NOT DISTINCT FROM CAST(@SuspectTimes AS varchar)
$q$),
('ReadFromStorageKey', $q$
SELECT PayloadBinary, Version
FROM OrleansStorage
WHERE GrainIdHash = CAST(@GrainIdHash AS integer) AND GrainTypeHash = CAST(@GrainTypeHash AS integer)
    AND ServiceId = CAST(@ServiceId AS varchar)
    AND GrainIdN0 = CAST(@GrainIdN0 AS bigint) AND GrainIdN1 = CAST(@GrainIdN1 AS bigint)
    AND GrainTypeString = CAST(@GrainTypeString AS varchar)
    AND GrainIdExtensionString IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS varchar)
    AND PayloadBinary IS NOT NULL
$q$),
-- With a version: update if it still matches. Without: insert, or revive a tombstone. Anything else returns
-- NULL, which the provider reports as an InconsistentStateException.
('WriteToStorageKey', $q$
WITH updated AS (
    UPDATE OrleansStorage
    SET PayloadBinary = CAST(@PayloadBinary AS bytea), ModifiedOn = (now() AT TIME ZONE 'utc'), Version = Version + 1
    WHERE CAST(@GrainStateVersion AS integer) IS NOT NULL
        AND GrainIdHash = CAST(@GrainIdHash AS integer) AND GrainTypeHash = CAST(@GrainTypeHash AS integer)
        AND ServiceId = CAST(@ServiceId AS varchar)
        AND GrainIdN0 = CAST(@GrainIdN0 AS bigint) AND GrainIdN1 = CAST(@GrainIdN1 AS bigint)
        AND GrainTypeString = CAST(@GrainTypeString AS varchar)
        AND GrainIdExtensionString IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS varchar)
        AND Version = CAST(@GrainStateVersion AS integer)
    RETURNING Version),
inserted AS (
    INSERT INTO OrleansStorage (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString,
        GrainIdExtensionString, ServiceId, PayloadBinary, ModifiedOn, Version)
    SELECT CAST(@GrainIdHash AS integer), CAST(@GrainIdN0 AS bigint), CAST(@GrainIdN1 AS bigint),
        CAST(@GrainTypeHash AS integer), CAST(@GrainTypeString AS varchar), CAST(@GrainIdExtensionString AS varchar),
        CAST(@ServiceId AS varchar), CAST(@PayloadBinary AS bytea), (now() AT TIME ZONE 'utc'), 1
    WHERE CAST(@GrainStateVersion AS integer) IS NULL
    ON CONFLICT ON CONSTRAINT UX_OrleansStorage_Grain DO UPDATE
        SET PayloadBinary = EXCLUDED.PayloadBinary, ModifiedOn = EXCLUDED.ModifiedOn, Version = OrleansStorage.Version + 1
        WHERE OrleansStorage.PayloadBinary IS NULL
    RETURNING Version)
SELECT COALESCE((SELECT Version FROM updated), (SELECT Version FROM inserted)) AS NewGrainStateVersion
$q$),
('ClearStorageKey', $q$
UPDATE OrleansStorage
SET PayloadBinary = NULL, ModifiedOn = (now() AT TIME ZONE 'utc'), Version = Version + 1
WHERE GrainIdHash = CAST(@GrainIdHash AS integer) AND GrainTypeHash = CAST(@GrainTypeHash AS integer)
    AND ServiceId = CAST(@ServiceId AS varchar)
    AND GrainIdN0 = CAST(@GrainIdN0 AS bigint) AND GrainIdN1 = CAST(@GrainIdN1 AS bigint)
    AND GrainTypeString = CAST(@GrainTypeString AS varchar)
    AND GrainIdExtensionString IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS varchar)
    AND Version = CAST(@GrainStateVersion AS integer)
RETURNING Version AS NewGrainStateVersion
$q$),
-- Reminder reads return GrainId, ReminderName, StartTime, Period (milliseconds, read as a 64-bit integer) and
-- Version. The provider binds Period as int or bigint depending on its size, GrainHash, BeginHash and EndHash as the
-- unsigned hashes reinterpreted as signed integers, and Version (the ETag) as an integer.
('ReadReminderRowsKey', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = CAST(@ServiceId AS varchar) AND GrainId = CAST(@GrainId AS varchar)
$q$),
('ReadReminderRowKey', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = CAST(@ServiceId AS varchar) AND GrainId = CAST(@GrainId AS varchar)
    AND ReminderName = CAST(@ReminderName AS varchar)
$q$),
-- The range (BeginHash, EndHash] when it does not wrap around in signed order...
('ReadRangeRows1Key', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = CAST(@ServiceId AS varchar)
    AND GrainHash > CAST(@BeginHash AS integer) AND GrainHash <= CAST(@EndHash AS integer)
$q$),
-- ...and when it does (BeginHash >= EndHash; equal means the whole ring).
('ReadRangeRows2Key', $q$
SELECT GrainId, ReminderName, StartTime, Period, Version
FROM OrleansRemindersTable
WHERE ServiceId = CAST(@ServiceId AS varchar)
    AND (GrainHash > CAST(@BeginHash AS integer) OR GrainHash <= CAST(@EndHash AS integer))
$q$),
-- Inserts or replaces a reminder and returns its new Version (the ETag).
('UpsertReminderRowKey', $q$
INSERT INTO OrleansRemindersTable (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
VALUES (CAST(@ServiceId AS varchar), CAST(@GrainId AS varchar), CAST(@ReminderName AS varchar),
    CAST(@StartTime AS timestamptz), CAST(@Period AS bigint), CAST(@GrainHash AS integer), 1)
ON CONFLICT ON CONSTRAINT PK_OrleansRemindersTable DO UPDATE
    SET StartTime = EXCLUDED.StartTime, Period = EXCLUDED.Period, GrainHash = EXCLUDED.GrainHash,
        Version = OrleansRemindersTable.Version + 1
RETURNING Version
$q$),
-- Deletes a reminder if its ETag still matches; returns one boolean column: whether a row was deleted.
('DeleteReminderRowKey', $q$
WITH deleted AS (
    DELETE FROM OrleansRemindersTable
    WHERE ServiceId = CAST(@ServiceId AS varchar) AND GrainId = CAST(@GrainId AS varchar)
        AND ReminderName = CAST(@ReminderName AS varchar) AND Version = CAST(@Version AS integer)
    RETURNING 1)
SELECT count(*) > 0 FROM deleted
$q$),
('DeleteReminderRowsKey', $q$
DELETE FROM OrleansRemindersTable WHERE ServiceId = CAST(@ServiceId AS varchar)
$q$)
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText;
