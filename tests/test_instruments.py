"""Questionnaire files: every version loads, bad files are refused by name, the lock holds."""

import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner

from instruments import (
    ROOT,
    InstrumentError,
    Label,
    UnknownInstrument,
    check_lock,
    get,
    load_all,
    load_instrument,
    read_lock,
    write_lock,
)
from instruments.cli import init_app, instruments_group

SECTOR_FILES = sorted((ROOT / "sectors").glob("*.toml"))
CATERING = "sectors/catering.v1.toml"
CORE = "core/ccsi-core.v1.toml"

REQUIRED_SECTORS = [
    ("finance", "producer"),
    ("logistics", "producer"),
    ("transport", "producer"),
    ("information", "producer"),
    ("business", "producer"),
    ("technology", "producer"),
    ("inspection", "producer"),
    ("catering", "consumer"),
    ("tourism", "consumer"),
    ("retail", "consumer"),
    ("wholesale", "consumer"),
    ("accommodation", "consumer"),
    ("household", "consumer"),
    ("culture_sport", "consumer"),
    ("postal", "consumer"),
    ("telecom", "consumer"),
    ("health", "consumer"),
]

PQ_TASTE = 'code = "pq_taste"\nconstruct = "quality"\nscale = "sat10"\n'
TASTE_LABEL = 'label = { zh_CN = "菜品口味和质量", en = "Taste and quality of the food" }'
CMP_FILED = 'code = "cmp_filed"\nconstruct = "complaint"\nscale = "yesno"\n'


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Return a copy of the package's instruments folder (data files and lock only)."""
    copy = tmp_path / "instruments"
    for name in ("core", "sectors"):
        shutil.copytree(ROOT / name, copy / name)
    shutil.copy(ROOT / "lock.json", copy / "lock.json")
    return copy


def edit(root: Path, name: str, old: str, new: str) -> Path:
    """Replace one exact piece of text in a copied instrument file."""
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test fixture out of date: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("path", SECTOR_FILES, ids=lambda p: p.name)
def test_every_instrument_file_loads_with_19_to_23_items(path: Path) -> None:
    inst = load_instrument(path)
    codes = [item.code for item in inst.items]
    assert 19 <= len(codes) <= 23  # housing has nine quality aspects
    assert len(set(codes)) == len(codes)
    assert [s.code for s in inst.sections] == [
        "impression", "quality", "value", "complaint", "intention"
    ]
    assert inst.blocks()["quality"][0] == "pq_overall"
    assert all(code.startswith("pq_") for code in inst.blocks()["quality"])
    assert [i.code for i in inst.items if i.required] == [
        "sat_overall", "sat_expectation", "sat_ideal"
    ]
    assert inst.source == f"instruments/sectors/{path.name}"
    assert inst.content_hash == read_lock(ROOT / "lock.json")[inst.key]


@pytest.mark.parametrize("path", SECTOR_FILES, ids=lambda p: p.name)
def test_every_label_is_bilingual_and_filled_in(path: Path) -> None:
    inst = load_instrument(path)
    labels = [inst.title] + [i.label for i in inst.items] + [q.label for q in inst.profile]
    for label in labels:
        assert label.zh_CN.strip() and label.en.strip()
        assert "{" not in label.zh_CN + label.en
        assert re.search(r"[\u4e00-\u9fff]", label.zh_CN)


@pytest.mark.parametrize(("code", "category"), REQUIRED_SECTORS)
def test_required_sector_exists_with_its_category(code: str, category: str) -> None:
    inst = get(code)
    assert inst.category == category
    assert inst.code == code


def test_blocks_and_scales_of_catering() -> None:
    inst = get("catering", 1)
    assert inst.blocks() == {
        "image": ["img_reputation", "img_trust"],
        "expectation": ["exp_overall", "exp_reliability"],
        "quality": [
            "pq_overall",
            "pq_taste",
            "pq_hygiene",
            "pq_speed",
            "pq_staff",
            "pq_environment",
            "pq_price_clarity",
        ],
        "value": ["val_price_quality", "val_quality_price"],
        "satisfaction": ["sat_overall", "sat_expectation", "sat_ideal"],
        "complaint": ["cmp_filed"],
        "loyalty": ["loy_repurchase", "loy_recommend", "loy_price_tolerance"],
    }
    scales = inst.scales()
    assert len(scales) == 21
    assert scales["cmp_filed"] == (0, 1)
    assert scales["cmp_handling"] == (1, 10)
    assert {v for k, v in scales.items() if k != "cmp_filed"} == {(1, 10)}
    assert inst.reverse_items() == []
    assert inst.item("cmp_handling").in_model is False


def test_structural_model_is_declared_in_the_core() -> None:
    inst = get("retail")
    assert [c.code for c in inst.constructs] == [
        "image", "expectation", "quality", "value", "satisfaction", "complaint", "loyalty"
    ]
    assert len(inst.paths) == 12
    assert ("quality", "satisfaction") in inst.paths
    assert ("complaint", "loyalty") in inst.paths


def test_item_anchors_override_the_scale_default() -> None:
    inst = get("catering")
    assert inst.item("sat_overall").low == Label("非常不满意", "Very dissatisfied")
    assert inst.item("exp_overall").high == Label("非常高", "Very high")
    assert inst.item("cmp_filed").low is None


@pytest.mark.parametrize("path", SECTOR_FILES, ids=lambda p: p.name)
def test_not_applicable_is_never_a_scale_value(path: Path) -> None:
    for item in load_instrument(path).items:
        values = list(item.scale.values())
        assert None not in values
        assert all(type(v) is int for v in values)
        assert item.scale.allow_na and item.scale.na_label is not None
        assert item.scale.na_label not in [o.label for o in item.scale.options]
        if item.scale.code == "sat10":
            assert values == list(range(1, 11))


def test_yesno_scale_stores_one_and_zero() -> None:
    scale = get("catering").item("cmp_filed").scale
    assert scale.values() == (1, 0)
    assert [o.label.zh_CN for o in scale.options] == ["是", "否"]
    assert scale.na_label == Label("记不清", "Don't remember")


def test_profile_questions_offer_prefer_not_to_say() -> None:
    profile = {q.code: [code for code, _ in q.options] for q in get("tourism").profile}
    assert profile == {
        "age_band": ["18_29", "30_44", "45_59", "60_plus", "undisclosed"],
        "sex": ["male", "female", "undisclosed"],
        "residence": ["local", "nonlocal", "undisclosed"],
        "frequency": ["first", "occasional", "monthly", "weekly", "undisclosed"],
    }


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("zh", "是"),
        ("zh_CN", "是"),
        ("zh-Hans-CN", "是"),
        ("en", "Yes"),
        ("en_US", "Yes"),
        ("fr", "Yes"),
        ("", "Yes"),
        (None, "Yes"),
    ],
)
def test_label_get_falls_back_to_english(locale: str | None, expected: str) -> None:
    assert Label("是", "Yes").get(locale) == expected


def test_to_dict_is_plain_json() -> None:
    data = get("household").to_dict()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert data["core"] == "ccsi-core@1"
    assert data["scales"]["sat10"]["allow_na"] is True


def test_default_instruments_are_cached() -> None:
    assert get("catering") is get("catering")
    assert load_all()["catering@1"] is get("catering", 1)


@pytest.mark.parametrize(
    ("code", "version", "message"),
    [("nosuch", None, "unknown instrument 'nosuch'"), ("catering", 9, "'catering@9'")],
)
def test_unknown_instrument_is_a_key_error(code: str, version: int | None, message: str) -> None:
    with pytest.raises(UnknownInstrument, match=message) as info:
        get(code, version)
    assert isinstance(info.value, KeyError) and isinstance(info.value, InstrumentError)


BAD_FILES = [
    # (file, old text, new text, expected message after "instruments/<file>: "; … = any text)
    (CATERING, PQ_TASTE, PQ_TASTE.replace("sat10", "sat11"),
     "item 'pq_taste': unknown scale 'sat11'"),
    (CATERING, PQ_TASTE, PQ_TASTE.replace('"quality"', '"qualty"'),
     "item 'pq_taste': unknown construct 'qualty'"),
    (CATERING, 'code = "pq_hygiene"', 'code = "pq_taste"',
     "item 'pq_taste': duplicate item code"),
    (CATERING, 'code = "pq_taste"', 'code = "pq Taste"', "item: bad code 'pq Taste'"),
    (CATERING, 'code = "pq_taste"', 'code = "sat_overall"',
     "item 'sat_overall': duplicate item code (also in the core)"),
    (CATERING, TASTE_LABEL, 'label = { zh_CN = "菜品口味和质量" }',
     "item 'pq_taste': label: missing language 'en'"),
    (CATERING, TASTE_LABEL, TASTE_LABEL.replace(" }", ', ja = "味" }'),
     "item 'pq_taste': label: unknown language 'ja'"),
    (CATERING, TASTE_LABEL, TASTE_LABEL.replace("菜品口味和质量", ""),
     "item 'pq_taste': label: language 'zh_CN' must be a non-empty string"),
    (CATERING, TASTE_LABEL, 'label = "菜品口味和质量"',
     "item 'pq_taste': field 'label' must be of type dict"),
    (CORE, "lo = 1\nhi = 10", "lo = 10\nhi = 1", "scale 'sat10': lo (10) must be below hi (1)"),
    (CORE, '{ value = 0, label = { zh_CN = "否", en = "No" } },', "",
     "scale 'yesno': lo (1) must be below hi (1)"),
    (CORE, '["complaint", "loyalty"]', '["complaint", "loyality"]',
     "path ['complaint', 'loyality']: unknown construct 'loyality'"),
    (CORE, CMP_FILED, CMP_FILED + "in_model = false\n",
     "construct 'complaint': no in-model item"),
    (CORE, 'constructs = ["loyalty"]', 'constructs = ["loyalty", "image"]',
     "construct 'image': placed in more than one section"),
    (CORE, 'code = "undisclosed", label = { zh_CN = "不愿透露", en = "Prefer not to say" } },\n]',
     'code = "unknown", label = { zh_CN = "不愿透露", en = "Prefer not to say" } },\n]',
     "profile 'age_band': missing option 'undisclosed'"),
    (CATERING, PQ_TASTE, PQ_TASTE.replace('construct = "quality"\n', ""),
     "item 'pq_taste': missing field 'construct'"),
    (CATERING, 'category = "consumer"\n', "", "missing field 'category'"),
    (CATERING, 'category = "consumer"', 'category = "services"',
     "category must be one of producer, consumer, products, construction, got 'services'"),
    (CATERING, PQ_TASTE, PQ_TASTE + "requried = true\n",
     "item 'pq_taste': unknown field 'requried'"),
    (CATERING, PQ_TASTE + 'anchors = "quality"', PQ_TASTE + 'anchors = "qualty"',
     "item 'pq_taste': unknown anchors 'qualty'"),
    (CATERING, "version = 1\n", "version = 0\n", "version must be a positive integer, got 0"),
    (CATERING, "version = 1\n", 'version = "1"\n', "version must be a positive integer, got '1'"),
    (CATERING, "version = 1\n", "version = true\n", "version must be a positive integer, got True"),
    (CATERING, "version = 1\n", "version = 2\n",
     "file name must be 'catering.v2.toml' (code 'catering', version 2)"),
    (CATERING, 'code = "catering"', 'code = "restaurant"',
     "file name must be 'restaurant.v1.toml'"),
    (CORE, "version = 1\n", "version = 2\n", "file name must be 'ccsi-core.v2.toml'"),
    (CATERING, "core_version = 1", "core_version = 7",
     "core 'ccsi-core' version 7 not found (no instruments/core/ccsi-core.v7.toml)"),
    (CATERING, 'core = "ccsi-core"', 'core = "acsi"', "core 'acsi' version 1 not found"),
    (CATERING, 'category = "consumer"', "category = consumer",
     "TOML syntax error: … (at line 8, column 12)"),
    (CORE, "[[constructs]]", "[[constructs]", "TOML syntax error: … (at line 82, column 13)"),
]


@pytest.mark.parametrize(
    ("name", "old", "new", "message"), BAD_FILES, ids=[case[3][:48] for case in BAD_FILES]
)
def test_bad_file_is_refused_with_a_named_error(
    root: Path, name: str, old: str, new: str, message: str
) -> None:
    edit(root, name, old, new)
    # Errors in the core name the core file; all others name the sector file.
    core_error = name == CORE and "in-model" not in message
    named = f"instruments/{CORE if core_error else CATERING}: "
    pattern = re.escape(named) + ".*".join(re.escape(part) for part in message.split("…"))
    with pytest.raises(InstrumentError, match=pattern):
        load_instrument(root / CATERING)
    assert any(re.match(pattern, problem) for problem in check_lock(root))


def test_file_name_must_match_code_and_version(root: Path) -> None:
    (root / CATERING).rename(root / "sectors" / "catering.toml")
    expected = "sectors/catering.toml: file name must be 'catering.v1.toml'"
    with pytest.raises(InstrumentError, match=expected):
        load_all(root)


def test_copied_folder_loads_with_the_same_hashes(root: Path) -> None:
    assert {k: v.content_hash for k, v in load_all(root).items()} == read_lock(ROOT / "lock.json")
    assert check_lock(root) == []


def test_changed_file_that_kept_its_version_is_refused(root: Path) -> None:
    edit(root, CATERING, "上菜速度", "上菜快慢")
    lock_before = (root / "lock.json").read_text()
    expected = "catering@1 changed but kept version 1: bump the version"
    with pytest.raises(InstrumentError, match=expected):
        load_instrument(root / CATERING)
    with pytest.raises(InstrumentError, match=expected):
        write_lock(root)
    assert (root / "lock.json").read_text() == lock_before
    assert check_lock(root) == [f"instruments/{CATERING}: {expected}"]


def test_changed_core_is_caught_in_every_sector(root: Path) -> None:
    edit(root, CORE, "您觉得{subject}值得信赖吗？", "您信任{subject}吗？")
    problems = check_lock(root)
    assert len(problems) == len(REQUIRED_SECTORS)
    assert all("changed but kept version 1" in p for p in problems)


def test_new_version_can_be_locked(root: Path) -> None:
    v2 = root / "sectors" / "catering.v2.toml"
    v2.write_text((root / CATERING).read_text().replace("version = 1\n", "version = 2\n", 1))
    edit(root, "sectors/catering.v2.toml", "上菜速度", "上菜和结账速度")
    with pytest.raises(InstrumentError, match="catering@2 is not in the lock"):
        load_all(root)
    assert write_lock(root) == ["catering@2"]
    assert write_lock(root) == []
    assert get("catering", root=root).version == 2
    assert get("catering", 1, root=root).item("pq_speed").label.zh_CN == "上菜速度"
    assert get("catering", root=root).item("pq_speed").label.zh_CN == "上菜和结账速度"


def test_locked_version_whose_file_is_gone_is_reported(root: Path) -> None:
    (root / "sectors" / "wholesale.v1.toml").unlink()
    assert check_lock(root) == ["instruments/lock.json: wholesale@1 is locked but its file is gone"]


def test_broken_lock_file_is_named(root: Path) -> None:
    (root / "lock.json").write_text("{not json")
    with pytest.raises(InstrumentError, match="lock.json: not a valid lock file"):
        load_all(root)


def test_cli_check_lock_and_list(root: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(instruments_group, ["check", "--root", str(root)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(instruments_group, ["list", "--root", str(root)])
    assert "catering@1" in result.output and "21 items" in result.output

    edit(root, CATERING, "上菜速度", "上菜快慢")
    result = runner.invoke(instruments_group, ["check", "--root", str(root)])
    assert result.exit_code == 1
    assert "catering@1 changed but kept version 1" in result.output
    result = runner.invoke(instruments_group, ["lock", "--root", str(root)])
    assert result.exit_code == 1
    assert "bump the version" in result.output


def test_cli_lock_adds_a_new_version(root: Path) -> None:
    text = (root / CATERING).read_text().replace("version = 1\n", "version = 2\n", 1)
    (root / "sectors" / "catering.v2.toml").write_text(text)
    result = CliRunner().invoke(instruments_group, ["lock", "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert result.output == "locked catering@2\n"
    assert "catering@2" in read_lock(root / "lock.json")


def test_init_app_registers_the_command_group() -> None:
    app = SimpleNamespace(cli=click.Group())
    init_app(app)
    assert app.cli.commands["instruments"] is instruments_group
