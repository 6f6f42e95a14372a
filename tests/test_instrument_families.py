"""Index families: the product and construction cores, the nine new sector modules, the
family of a category, core/category compatibility and the optional comment box."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

import instruments
from analysis import simulate
from analysis.item_weights import CONSTRUCTS, check_model, estimate_item_weights, scored_items
from analysis.wave import Settings
from instruments import (
    CATEGORIES,
    FAMILIES,
    ROOT,
    InstrumentError,
    check_lock,
    family_of,
    get,
    load_instrument,
    read_lock,
)
from survey.model import Response
from survey.ops.frames import model_of
from tests.test_survey import full_answers, open_form

NEW = [
    # code, core, category, family
    ("postal", "ccsi-core@1", "consumer", "service"),
    ("telecom", "ccsi-core@1", "consumer", "service"),
    ("health", "ccsi-core@1", "consumer", "service"),
    ("product_food", "ccsi-product@1", "products", "product"),
    ("product_appliance", "ccsi-product@1", "products", "product"),
    ("product_children", "ccsi-product@1", "products", "product"),
    ("product_building", "ccsi-product@1", "products", "product"),
    ("housing", "ccsi-construction@1", "construction", "construction"),
    ("public_works", "ccsi-construction@1", "construction", "construction"),
]
CODES = [code for code, *_ in NEW]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the package's instruments folder (data files and lock only)."""
    copy = tmp_path / "instruments"
    for name in ("core", "sectors"):
        shutil.copytree(ROOT / name, copy / name)
    shutil.copy(ROOT / "lock.json", copy / "lock.json")
    return copy


def edit(root: Path, name: str, old: str, new: str) -> None:
    """Replace one exact piece of text in a copied instrument file."""
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test fixture out of date: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("code", "core", "category", "family"), NEW, ids=CODES)
def test_new_instrument_loads_with_its_core_category_and_family(code, core, category, family):
    inst = get(code)
    assert (inst.key, inst.core, inst.category, inst.family) == (f"{code}@1", core, category,
                                                                 family)
    assert inst.content_hash == read_lock(ROOT / "lock.json")[inst.key]
    data = inst.to_dict()
    assert (data["family"], data["category"], data["core"]) == (family, category, core)
    assert data["comment"] is (code != "health")


@pytest.mark.parametrize("code", CODES)
def test_every_text_of_a_new_instrument_is_bilingual(code):
    inst = get(code)
    labels = [inst.title] + [s.title for s in inst.sections] + [c.label for c in inst.constructs]
    for item in inst.items:
        labels += [item.label, item.scale.na_label]
        if item.scale.kind == "choice":  # a rating's options are its numbers
            labels += [o.label for o in item.scale.options]
        labels += [label for label in (item.low, item.high) if label is not None]
    for q in inst.profile:
        labels += [q.label, *(label for _code, label in q.options)]
    for label in labels:
        assert CJK.search(label.zh_CN), label
        assert label.en.strip() and not CJK.search(label.en), label
        assert "{" not in label.zh_CN + label.en, label


@pytest.mark.parametrize("code", CODES)
def test_new_instrument_measures_all_seven_constructs(code):
    inst = get(code)
    blocks = inst.blocks()
    assert tuple(blocks) == CONSTRUCTS
    assert all(blocks[c] for c in CONSTRUCTS)
    assert blocks["quality"][0] == "pq_overall"
    assert 5 <= len(blocks["quality"]) <= 9
    assert all(item.startswith("pq_") for item in blocks["quality"])
    # The overall-satisfaction item keeps ccsi-core's code in every family ("share satisfied").
    assert blocks["satisfaction"] == ["sat_overall", "sat_expectation", "sat_ideal"]
    assert inst.item("sat_overall").required
    assert blocks["complaint"] == ["cmp_filed"] and not inst.item("cmp_handling").in_model
    assert inst.paths == get("catering").paths


@pytest.mark.parametrize("code", CODES)
def test_analysis_accepts_the_measurement_model_and_fits_pls(code):
    inst = get(code)
    model = model_of(inst)
    check_model(code, model)
    by = {c: tuple(inst.blocks()[c]) for c in CONSTRUCTS if c != "complaint"}
    data = simulate.simulate_responses(simulate.Items(**by), np.full(300, 75.0),
                                       np.random.default_rng(16))
    fitted = estimate_item_weights(scored_items(data, model), model, Settings(), code)
    assert fitted.method == "pls" and fitted.fit.converged
    assert set(fitted.weights.index) == {i for items in model["blocks"].values() for i in items}
    assert (fitted.weights > 0).all()


def test_new_cores_share_ccsi_cores_constructs_and_item_codes():
    service, product, construction = get("catering"), get("product_food"), get("housing")
    assert product.constructs == service.constructs == construction.constructs
    common = {i.code for i in service.items if not i.code.startswith("pq_")}
    assert common == {i.code for i in product.items if not i.code.startswith("pq_")}
    # Residents cannot buy a road again: loyalty asks about staying instead of price tolerance.
    assert common - {i.code for i in construction.items} == {"loy_price_tolerance"}
    assert "loy_stay" in construction.blocks()["loyalty"]
    assert [s.title.zh_CN for s in product.sections][1] == "产品质量"
    assert [s.title.zh_CN for s in construction.sections][1] == "工程质量"


@pytest.mark.parametrize(
    ("code", "subject"),
    [("housing", "这个楼盘/小区"), ("public_works", "这项市政工程"), ("product_food", "这款食品"),
     ("health", "这家医疗机构")],
)
def test_subject_is_filled_into_the_core_wording(code, subject):
    assert get(code).item("sat_overall").label.zh_CN == f"总的来说，您对{subject}满意吗？"


def test_health_asks_no_clinical_or_health_questions():
    inst = get("health")
    assert inst.comment is False
    assert [q.code for q in inst.profile] == ["age_band", "sex", "residence"]
    words = ("病情", "症状", "诊断", "疾病", "治疗效果", "健康状况", "药效")
    texts = " ".join(i.label.zh_CN for i in inst.items)
    assert not [w for w in words if w in texts]


def test_family_of_every_category():
    assert FAMILIES == {
        "service": ("producer", "consumer"),
        "product": ("products",),
        "construction": ("construction",),
    }
    assert CATEGORIES == ("producer", "consumer", "products", "construction")
    assert [family_of(c) for c in CATEGORIES] == ["service", "service", "product", "construction"]
    assert instruments.family_of is family_of
    with pytest.raises(ValueError, match="unknown category 'services'"):
        family_of("services")


def test_every_instrument_has_the_family_of_its_category():
    for inst in instruments.load_all().values():
        assert inst.family == family_of(inst.category)


MISMATCHES = [
    # (file, old text, new text, expected message after "instruments/<file>: ")
    ("sectors/product_food.v1.toml", 'category = "products"', 'category = "consumer"',
     "category 'consumer' is of the service family but core 'ccsi-product' is for the product"
     " family: use category products or a service core"),
    ("sectors/postal.v1.toml", 'category = "consumer"', 'category = "products"',
     "category 'products' is of the product family but core 'ccsi-core' is for the service"
     " family: use category producer, consumer or a product core"),
    ("sectors/housing.v1.toml", 'core = "ccsi-construction"', 'core = "ccsi-product"',
     "category 'construction' is of the construction family but core 'ccsi-product' is for"
     " the product family: use category products or a construction core"),
    ("sectors/public_works.v1.toml", 'category = "construction"', 'category = "housing"',
     "category must be one of producer, consumer, products, construction, got 'housing'"),
    ("sectors/health.v1.toml", "comment = false", 'comment = "no"',
     "field 'comment' must be of type bool"),
    ("sectors/health.v1.toml", '"residence"]', '"income"]',
     "profile 'income': not a profile question of core 'ccsi-core'"),
    ("sectors/health.v1.toml", '"residence"]', '"sex"]', "profile 'sex': duplicate profile code"),
    ("sectors/housing.v1.toml", 'core = "ccsi-construction"', 'core = "ccsi-housing"',
     "core 'ccsi-housing' version 1 not found (no instruments/core/ccsi-housing.v1.toml);"
     " known cores: ccsi-construction v1, ccsi-core v1, ccsi-product v1"),
    ("core/ccsi-product.v1.toml", 'family = "product"', 'family = "goods"',
     "family must be one of service, product, construction, got 'goods'"),
]


@pytest.mark.parametrize(("name", "old", "new", "message"), MISMATCHES,
                         ids=[case[3][:40] for case in MISMATCHES])
def test_core_and_category_must_fit(root: Path, name, old, new, message):
    edit(root, name, old, new)
    sector = name if name.startswith("sectors/") else "sectors/product_food.v1.toml"
    expected = f"instruments/{name}: {message}"
    with pytest.raises(InstrumentError) as info:
        load_instrument(root / sector, verify=False)
    assert str(info.value) == expected
    assert expected in check_lock(root)


def test_switching_the_comment_box_off_changes_the_hash(root: Path):
    edit(root, "sectors/catering.v1.toml", 'category = "consumer"\n',
         'category = "consumer"\ncomment = false\n')
    assert load_instrument(root / "sectors/catering.v1.toml", verify=False).comment is False
    assert check_lock(root) == [
        "instruments/sectors/catering.v1.toml: catering@1 changed but kept version 1:"
        " bump the version"
    ]


def test_cli_lists_the_new_instruments_with_their_family(runner):
    result = runner.invoke(args=["instruments", "list"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:3] for line in result.output.splitlines()}
    for code, _core, category, family in NEW:
        assert rows[f"{code}@1"] == [family, category]
    assert rows["catering@1"] == ["service", "consumer"]
    assert "住宅工程质量满意度调查 / Housing quality satisfaction survey" in result.output
    assert runner.invoke(args=["instruments", "check"]).exit_code == 0


@pytest.mark.parametrize("code", ["housing", "product_food", "postal"])
def test_respondent_form_of_a_new_instrument_renders_and_stores(client, make_link, db_session,
                                                                code):
    link = make_link(code)
    html = client.get(f"/s/{link.token}").get_data(as_text=True)
    for item in get(code).items:
        assert item.label.zh_CN in html
    assert 'name="comment"' in html and "意见和建议" in html
    data = open_form(client, link.token) | full_answers(code) | {"comment": "很好"}
    assert client.post(f"/s/{link.token}", data=data).status_code == 303
    response = db_session.scalars(select(Response)).one()
    assert (response.instrument_code, response.comment) == (code, "很好")


def test_health_form_has_no_comment_box_and_drops_a_posted_comment(client, make_link,
                                                                    db_session):
    link = make_link("health")
    html = client.get(f"/s/{link.token}").get_data(as_text=True)
    assert 'name="comment"' not in html and "<textarea" not in html
    assert 'name="complain"' in html and "意见和建议" not in html
    assert 'name="frequency"' not in html
    data = open_form(client, link.token) | full_answers("health")
    data |= {"comment": "我有高血压", "complain": "y"}
    assert client.post(f"/s/{link.token}", data=data).status_code == 303
    response = db_session.scalars(select(Response)).one()
    assert (response.comment, response.wants_complaint) == ("", True)
    assert response.frequency is None
