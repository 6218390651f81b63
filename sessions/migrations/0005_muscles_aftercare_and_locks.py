"""The muscle catalogue, default aftercare templates, and on PostgreSQL the triggers
that keep signed notes locked against any SQL: a signed visit row, the sites and
adverse events under it, and every addendum refuse UPDATE and DELETE."""

from django.db import migrations

# name, region, nerve roots, paraspinal
MUSCLES = [
    ("Temporalis", "head_neck", "CN V", False),
    ("Masseter", "head_neck", "CN V", False),
    ("Lateral pterygoid", "head_neck", "CN V", False),
    ("Sternocleidomastoid", "head_neck", "CN XI, C2-C3", False),
    ("Splenius capitis", "head_neck", "C3-C5", False),
    ("Splenius cervicis", "head_neck", "C5-C7", False),
    ("Semispinalis capitis", "head_neck", "C1-C6", False),
    ("Suboccipitals", "head_neck", "C1", False),
    ("Scalene anterior", "head_neck", "C4-C6", False),
    ("Scalene medius", "head_neck", "C3-C8", False),
    ("Scalene posterior", "head_neck", "C6-C8", False),
    ("Levator scapulae", "shoulder", "C3-C5", False),
    ("Upper trapezius", "shoulder", "CN XI, C3-C4", False),
    ("Middle trapezius", "shoulder", "CN XI, C3-C4", False),
    ("Lower trapezius", "shoulder", "CN XI, C3-C4", False),
    ("Rhomboid major", "shoulder", "C4-C5", False),
    ("Rhomboid minor", "shoulder", "C4-C5", False),
    ("Supraspinatus", "shoulder", "C5-C6", False),
    ("Infraspinatus", "shoulder", "C5-C6", False),
    ("Teres minor", "shoulder", "C5-C6", False),
    ("Teres major", "shoulder", "C5-C7", False),
    ("Subscapularis", "shoulder", "C5-C7", False),
    ("Serratus anterior", "shoulder", "C5-C7", False),
    ("Pectoralis major", "shoulder", "C5-T1", False),
    ("Pectoralis minor", "shoulder", "C6-C8", False),
    ("Latissimus dorsi", "shoulder", "C6-C8", False),
    ("Anterior deltoid", "shoulder", "C5-C6", False),
    ("Middle deltoid", "shoulder", "C5-C6", False),
    ("Posterior deltoid", "shoulder", "C5-C6", False),
    ("Biceps brachii", "arm", "C5-C6", False),
    ("Brachialis", "arm", "C5-C6", False),
    ("Triceps brachii", "arm", "C6-C8", False),
    ("Brachioradialis", "arm", "C5-C6", False),
    ("Supinator", "arm", "C5-C6", False),
    ("Pronator teres", "arm", "C6-C7", False),
    ("Extensor carpi radialis longus", "arm", "C6-C7", False),
    ("Extensor carpi radialis brevis", "arm", "C6-C7", False),
    ("Extensor digitorum", "arm", "C7-C8", False),
    ("Extensor carpi ulnaris", "arm", "C7-C8", False),
    ("Flexor carpi radialis", "arm", "C6-C7", False),
    ("Flexor carpi ulnaris", "arm", "C8-T1", False),
    ("Flexor digitorum superficialis", "arm", "C7-T1", False),
    ("First dorsal interosseous", "hand", "C8-T1", False),
    ("Adductor pollicis", "hand", "C8-T1", False),
    ("Opponens pollicis", "hand", "C6-C7", False),
    ("Cervical multifidus", "spine", "C3-C8", True),
    ("Cervical paraspinals (semispinalis cervicis)", "spine", "C2-C8", True),
    ("Thoracic multifidus", "spine", "T1-T12", True),
    ("Thoracic erector spinae (longissimus)", "spine", "T1-T12", True),
    ("Thoracic iliocostalis", "spine", "T1-T12", True),
    ("Lumbar multifidus", "spine", "L1-S1", True),
    ("Lumbar erector spinae (longissimus)", "spine", "L1-L5", True),
    ("Lumbar iliocostalis", "spine", "L1-L5", True),
    ("Quadratus lumborum", "trunk", "T12-L3", False),
    ("Rectus abdominis", "trunk", "T7-T12", False),
    ("External oblique", "trunk", "T7-T12", False),
    ("Iliopsoas", "hip", "L1-L3", False),
    ("Gluteus maximus", "hip", "L5-S2", False),
    ("Gluteus medius", "hip", "L4-S1", False),
    ("Gluteus minimus", "hip", "L4-S1", False),
    ("Piriformis", "hip", "L5-S2", False),
    ("Tensor fasciae latae", "hip", "L4-S1", False),
    ("Obturator internus", "hip", "L5-S2", False),
    ("Rectus femoris", "thigh", "L2-L4", False),
    ("Vastus lateralis", "thigh", "L2-L4", False),
    ("Vastus medialis", "thigh", "L2-L4", False),
    ("Vastus intermedius", "thigh", "L2-L4", False),
    ("Sartorius", "thigh", "L2-L3", False),
    ("Adductor longus", "thigh", "L2-L4", False),
    ("Adductor magnus", "thigh", "L2-S1", False),
    ("Gracilis", "thigh", "L2-L3", False),
    ("Biceps femoris", "thigh", "L5-S2", False),
    ("Semitendinosus", "thigh", "L5-S2", False),
    ("Semimembranosus", "thigh", "L5-S2", False),
    ("Gastrocnemius (medial head)", "leg", "S1-S2", False),
    ("Gastrocnemius (lateral head)", "leg", "S1-S2", False),
    ("Soleus", "leg", "S1-S2", False),
    ("Tibialis anterior", "leg", "L4-L5", False),
    ("Tibialis posterior", "leg", "L4-L5", False),
    ("Peroneus longus", "leg", "L5-S1", False),
    ("Peroneus brevis", "leg", "L5-S1", False),
    ("Extensor digitorum longus", "leg", "L5-S1", False),
    ("Flexor hallucis longus", "leg", "L5-S2", False),
    ("Popliteus", "leg", "L4-S1", False),
]

AFTERCARE = {
    "After IMS: heat and movement": """\
What to expect
Most people feel a deep ache in the treated muscles for one to two days. It can feel like the day after a hard workout, and it means the muscles are responding. Small bruises are common. Some people feel tired for a few hours.

What helps
- Drink plenty of water today.
- Keep moving gently: walking and your home exercises help the muscles settle.
- Warmth on the sore areas (a warm shower or a heat pack for 15-20 minutes) can ease the ache.
- Avoid hard training or heavy lifting for the rest of today.

Call the clinic, or seek care right away, if you notice
- fever, or redness, heat or swelling that spreads around a needled spot;
- new numbness, tingling or weakness;
- shortness of breath or chest pain, especially if the upper back, chest or shoulder was treated (go to an emergency department);
- pain above 8 out of 10 that is not easing after two days.""",
    "After IMS: rest and ice": """\
What to expect
A deep ache in the treated muscles for one to two days is normal, sometimes with small bruises or a few hours of tiredness.

What helps
- Rest for a few hours after your visit.
- Ice wrapped in a cloth on the sore areas, 10-15 minutes at a time, can calm the ache.
- Drink plenty of water.
- Start your home exercises again tomorrow, gently.

Call the clinic, or seek care right away, if you notice
- fever, or redness, heat or swelling that spreads around a needled spot;
- new numbness, tingling or weakness;
- shortness of breath or chest pain, especially if the upper back, chest or shoulder was treated (go to an emergency department);
- pain above 8 out of 10 that is not easing after two days.""",
}

LOCK_SQL = """
CREATE OR REPLACE FUNCTION clinic_refuse_signed_visit() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'visit % is signed: add an addendum instead', OLD.id
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER visit_signed_is_locked
    BEFORE UPDATE OR DELETE ON treatment_sessions_visit
    FOR EACH ROW WHEN (OLD.status = 'signed')
    EXECUTE FUNCTION clinic_refuse_signed_visit();

CREATE OR REPLACE FUNCTION clinic_refuse_under_signed_visit() RETURNS trigger AS $$
DECLARE
    parent bigint;
BEGIN
    IF TG_OP = 'DELETE' THEN parent := OLD.visit_id; ELSE parent := NEW.visit_id; END IF;
    IF EXISTS (SELECT 1 FROM treatment_sessions_visit WHERE id = parent AND status = 'signed')
       OR (TG_OP = 'UPDATE' AND EXISTS (
           SELECT 1 FROM treatment_sessions_visit WHERE id = OLD.visit_id AND status = 'signed')) THEN
        RAISE EXCEPTION 'visit % is signed: add an addendum instead', parent
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER site_under_signed_visit_is_locked
    BEFORE INSERT OR UPDATE OR DELETE ON treatment_sessions_needlingsite
    FOR EACH ROW EXECUTE FUNCTION clinic_refuse_under_signed_visit();
CREATE TRIGGER adverse_event_under_signed_visit_is_locked
    BEFORE INSERT OR UPDATE OR DELETE ON treatment_sessions_adverseevent
    FOR EACH ROW EXECUTE FUNCTION clinic_refuse_under_signed_visit();

CREATE OR REPLACE FUNCTION clinic_refuse_addendum_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'addenda cannot be changed or deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER addendum_is_append_only
    BEFORE UPDATE OR DELETE ON treatment_sessions_addendum
    FOR EACH ROW EXECUTE FUNCTION clinic_refuse_addendum_change();
"""

UNLOCK_SQL = """
DROP TRIGGER IF EXISTS visit_signed_is_locked ON treatment_sessions_visit;
DROP TRIGGER IF EXISTS site_under_signed_visit_is_locked ON treatment_sessions_needlingsite;
DROP TRIGGER IF EXISTS adverse_event_under_signed_visit_is_locked ON treatment_sessions_adverseevent;
DROP TRIGGER IF EXISTS addendum_is_append_only ON treatment_sessions_addendum;
DROP FUNCTION IF EXISTS clinic_refuse_signed_visit();
DROP FUNCTION IF EXISTS clinic_refuse_under_signed_visit();
DROP FUNCTION IF EXISTS clinic_refuse_addendum_change();
"""


def add_catalogues(apps, schema_editor):
    Muscle = apps.get_model("treatment_sessions", "Muscle")
    for name, region, roots, paraspinal in MUSCLES:
        Muscle.objects.get_or_create(
            name=name,
            defaults={"region": region, "nerve_roots": roots, "is_paraspinal": paraspinal},
        )
    AftercareTemplate = apps.get_model("treatment_sessions", "AftercareTemplate")
    for name, body in AFTERCARE.items():
        AftercareTemplate.objects.get_or_create(name=name, defaults={"body": body})


def add_locks(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LOCK_SQL, params=None)


def drop_locks(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNLOCK_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("treatment_sessions", "0004_charting")]

    operations = [
        migrations.RunPython(add_catalogues, migrations.RunPython.noop),
        migrations.RunPython(add_locks, drop_locks),
    ]
