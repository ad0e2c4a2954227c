-- The definitions of 0001_inventory_triggers.sql.
CREATE OR REPLACE FUNCTION citypilot_asset_json(a assets) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_strip_nulls(
        (to_jsonb(a) - 'geom' - 'fov')
        || jsonb_build_object('geom', ST_AsText(a.geom), 'fov', ST_AsText(a.fov))
    )
$$;

CREATE OR REPLACE FUNCTION citypilot_assets_audit_update() RETURNS trigger LANGUAGE plpgsql AS $$
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
