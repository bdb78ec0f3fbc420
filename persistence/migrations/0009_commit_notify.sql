-- Every change of what the schema's queries answer is announced on the notification
-- channel 'manhattan_commit' (persistence.CommitChannel), with the schema's name as
-- payload, when its transaction commits: an epoch's commit or a reset moves the pointer
-- rows, a test's configuration is stored or changed. Query caches listen to it instead of
-- reading the commit mark for every request.
CREATE FUNCTION notify_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('manhattan_commit', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$;

CREATE TRIGGER pointers_notify_commit AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pointers
    FOR EACH STATEMENT EXECUTE FUNCTION notify_commit();

CREATE TRIGGER test_configs_notify_commit AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON test_configs
    FOR EACH STATEMENT EXECUTE FUNCTION notify_commit();
