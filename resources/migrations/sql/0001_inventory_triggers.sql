-- The inventory's invariants that no client may bypass: provenance, version, commune, audit trail.

-- Who acts: set per transaction by the write path (SET LOCAL citypilot.actor_id); NULL for raw SQL.
CREATE FUNCTION citypilot_actor_id() RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('citypilot.actor_id', true), '')::integer
$$;

-- The current commune a geometry lies in (its point on surface), or the nearest within 1 km.
CREATE FUNCTION citypilot_commune_of(g geometry) RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    p geometry;
    found text;
BEGIN
    IF g IS NULL OR ST_IsEmpty(g) THEN
        RETURN NULL;
    END IF;
    p := ST_PointOnSurface(g);
    SELECT insee INTO found FROM commune_parts WHERE ST_Intersects(geom, p) LIMIT 1;
    IF found IS NULL THEN
        SELECT insee INTO found FROM commune_parts
         WHERE ST_DWithin(geom, p, 1000) ORDER BY geom <-> p LIMIT 1;
    END IF;
    RETURN found;
END $$;

-- Rebuild the commune lookup from today's communes, then re-derive every asset's commune.
CREATE FUNCTION citypilot_refresh_communes() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM commune_parts;
    INSERT INTO commune_parts (insee, geom)
    SELECT insee, ST_Subdivide(geom, 64) FROM communes WHERE valid_to IS NULL;
    UPDATE assets SET commune_insee = citypilot_commune_of(geom)
     WHERE commune_insee IS DISTINCT FROM citypilot_commune_of(geom);
END $$;

CREATE FUNCTION citypilot_assets_before_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.created_by := coalesce(NEW.created_by, citypilot_actor_id());
        NEW.updated_by := NEW.created_by;
        NEW.created_at := now();
        NEW.updated_at := NEW.created_at;
        NEW.version := 1;
        NEW.commune_insee := citypilot_commune_of(NEW.geom);
        RETURN NEW;
    END IF;
    IF NEW.kind IS DISTINCT FROM OLD.kind THEN
        RAISE EXCEPTION 'kind: an asset cannot change kind (% to %)', OLD.kind, NEW.kind
            USING ERRCODE = 'check_violation';
    END IF;
    NEW.created_by := OLD.created_by;
    NEW.created_at := OLD.created_at;
    NEW.updated_by := citypilot_actor_id();
    NEW.updated_at := now();
    NEW.version := OLD.version + 1;
    IF NEW.geom IS DISTINCT FROM OLD.geom THEN
        NEW.commune_insee := citypilot_commune_of(NEW.geom);
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER assets_before_write BEFORE INSERT OR UPDATE ON assets
    FOR EACH ROW EXECUTE FUNCTION citypilot_assets_before_write();

-- An asset as the audit trail keeps it: no nulls, geometries as Lambert-93 WKT.
CREATE FUNCTION citypilot_asset_json(a assets) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_strip_nulls(
        (to_jsonb(a) - 'geom' - 'fov')
        || jsonb_build_object('geom', ST_AsText(a.geom), 'fov', ST_AsText(a.fov))
    )
$$;

CREATE FUNCTION citypilot_changed_keys(before jsonb, after jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(key ORDER BY key), '{}')
      FROM (SELECT key FROM jsonb_object_keys(coalesce(before, '{}')) AS key
            UNION SELECT key FROM jsonb_object_keys(coalesce(after, '{}')) AS key) AS keys
     WHERE before -> key IS DISTINCT FROM after -> key
       AND key NOT IN ('version', 'updated_at', 'updated_by', 'commune_insee', 'length_m')
$$;

CREATE FUNCTION citypilot_actor_name() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT name FROM users WHERE id = citypilot_actor_id()), 'db:' || session_user)
$$;

CREATE FUNCTION citypilot_assets_audit_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO asset_history (asset_id, kind, action, actor_id, actor_name, changed, before, after)
    SELECT n.id, n.kind, 'insert', citypilot_actor_id(), citypilot_actor_name(), NULL, NULL,
           citypilot_asset_json(n)
      FROM new_rows AS n;
    RETURN NULL;
END $$;

CREATE FUNCTION citypilot_assets_audit_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO asset_history (asset_id, kind, action, actor_id, actor_name, changed, before, after)
    SELECT d.id, d.kind,
           CASE WHEN d.old_status <> 'removed' AND d.new_status = 'removed' THEN 'retire' ELSE 'update' END,
           citypilot_actor_id(), citypilot_actor_name(), d.changed, d.before, d.after
      FROM (SELECT n.id, n.kind, o.status AS old_status, n.status AS new_status,
                   citypilot_asset_json(o) AS before, citypilot_asset_json(n) AS after,
                   citypilot_changed_keys(citypilot_asset_json(o), citypilot_asset_json(n)) AS changed
              FROM old_rows AS o JOIN new_rows AS n USING (id)) AS d
     WHERE cardinality(d.changed) > 0;
    RETURN NULL;
END $$;

CREATE FUNCTION citypilot_assets_audit_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO asset_history (asset_id, kind, action, actor_id, actor_name, changed, before, after)
    SELECT o.id, o.kind, 'delete', citypilot_actor_id(), citypilot_actor_name(), NULL,
           citypilot_asset_json(o), NULL
      FROM old_rows AS o;
    RETURN NULL;
END $$;

CREATE TRIGGER assets_audit_insert AFTER INSERT ON assets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION citypilot_assets_audit_insert();
CREATE TRIGGER assets_audit_update AFTER UPDATE ON assets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION citypilot_assets_audit_update();
CREATE TRIGGER assets_audit_delete AFTER DELETE ON assets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION citypilot_assets_audit_delete();
