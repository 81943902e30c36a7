from django.db import migrations

PLACES = [
    ("qindu", "秦都区", "district"),
    ("weicheng", "渭城区", "district"),
    ("yangling", "杨陵区", "district"),
    ("xingping", "兴平市", "city"),
    ("binzhou", "彬州市", "city"),
    ("sanyuan", "三原县", "county"),
    ("jingyang", "泾阳县", "county"),
    ("qianxian", "乾县", "county"),
    ("liquan", "礼泉县", "county"),
    ("yongshou", "永寿县", "county"),
    ("changwu", "长武县", "county"),
    ("xunyi", "旬邑县", "county"),
    ("chunhua", "淳化县", "county"),
    ("wugong", "武功县", "county"),
    ("xy-hitech", "咸阳高新区", "park"),
    ("xy-etdz", "咸阳经开区", "park"),
]

DEPARTMENTS = [
    ("miit", "市工信局"),
    ("sci", "市科技局"),
    ("finance", "市财政局"),
    ("data", "市数据局"),
    ("ndrc", "市发改委"),
    ("eco", "市生态环境局"),
    ("invest", "市招商局"),
    ("health", "市卫健委"),
    ("org", "市委组织部"),
    ("edu", "市教育局"),
    ("hr", "市人社局"),
]


def create(apps, schema_editor):
    Place = apps.get_model("accounts", "Place")
    Department = apps.get_model("accounts", "Department")
    for order, (code, name, kind) in enumerate(PLACES):
        Place.objects.update_or_create(code=code, defaults={"name": name, "kind": kind, "sort_order": order})
    for code, name in DEPARTMENTS:
        Department.objects.update_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
