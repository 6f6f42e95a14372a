"""The demo district's families beyond the first service sectors: three more service
sectors, consumer products and construction works, with their true indices.

Everything here is invented. The construction target quotes the district plan
(发展目标 → 工程质量); the plan sets no figure for product satisfaction, so the product
family's share target is an illustrative bureau target and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from survey.demo.spec import DemoSector

PRODUCT_SOURCE = ("演示：区质量局示意性目标（规划未设定产品满意度目标值）"
                  "— illustrative bureau target; the plan sets none")
CONSTRUCTION_SOURCE = ("区质量强区规划：发展目标 → 工程质量：人民群众对工程质量"
                       "(尤其是住宅质量)满意度明显提高")
FAMILY_WEIGHT_SOURCE = "演示数据：虚构的权重 （demo: invented weights）"

CATEGORIES = (
    # code, family, name_zh, name_en, target kind, target, weight, source
    ("products", "product", "民生产品", "Consumer products", "share", 80.0, 1.0,
     PRODUCT_SOURCE),
    ("construction", "construction", "建设工程", "Construction works", "improvement", 0.0,
     1.0, CONSTRUCTION_SOURCE),
)
BASELINE_WAVE = "2026Q3"  # the construction category's baseline wave

# The plan's other service fields (邮政、通讯、卫生) in the traditional-services category.
SERVICE_SECTORS = (
    DemoSector("postal", "consumer", "邮政快递", "Postal and express delivery", 0.08,
               {"2026Q3": 80.4, "2026Q4": 81.3},
               ("金普邮政分局", "港城快递服务站", "湾里速运网点", "开发区邮政营业所",
                "金州同城快递")),
    DemoSector("telecom", "consumer", "通信", "Telecommunications", 0.08,
               {"2026Q3": 78.2, "2026Q4": 79.4},
               ("海湾移动营业厅", "金州电信营业厅", "新区联通营业厅", "开发区宽带装维中心",
                "港城广电网络营业厅")),
    DemoSector("health", "consumer", "卫生", "Health (outpatient)", 0.10,
               {"2026Q3": 81.6, "2026Q4": 82.2},
               ("友谊街道社区卫生服务中心", "站前社区卫生服务站", "金州区第一人民医院门诊部",
                "开发区医院门诊部", "董家沟社区卫生服务中心")),
)

PRODUCT_SECTORS = (
    # code, name_zh, name_en, weight, truth by wave (index; share satisfied follows it)
    ("product_food", "食品", "Food", 0.35, {"2026Q3": 87.2, "2026Q4": 88.0}),
    ("product_appliance", "家用电器", "Household appliances", 0.25,
     {"2026Q3": 85.4, "2026Q4": 86.0}),
    ("product_children", "儿童用品", "Children's goods", 0.15, {"2026Q3": 81.0, "2026Q4": 81.5}),
    ("product_building", "建材", "Building materials", 0.25, {"2026Q3": 78.6, "2026Q4": 79.2}),
)
MANUFACTURERS = ("大连金普食品有限公司", "金州乳业有限公司", "开发区电器制造有限公司",
                 "新区家电科技有限公司", "湾里儿童用品有限公司", "金普建材集团有限公司")
PRODUCT_LINES = (
    # manufacturer index, sector, name, brand, product category
    (0, "product_food", "海湾牌速冻水饺", "海湾", "速冻食品"),
    (0, "product_food", "海湾牌即食海参", "海湾", "水产制品"),
    (1, "product_food", "金乳纯牛奶", "金乳", "乳制品"),
    (1, "product_food", "金乳原味酸奶", "金乳", "乳制品"),
    (2, "product_appliance", "港城牌电热水器", "港城", "热水器"),
    (2, "product_appliance", "港城牌电饭煲", "港城", "厨房小家电"),
    (3, "product_appliance", "海风牌空气净化器", "海风", "空气净化器"),
    (3, "product_appliance", "海风牌电风扇", "海风", "电风扇"),
    (4, "product_children", "小海豚儿童安全座椅", "小海豚", "安全座椅"),
    (4, "product_children", "小海豚婴儿推车", "小海豚", "童车"),
    (4, "product_children", "小海豚儿童水杯", "小海豚", "儿童餐具"),
    (4, "product_children", "小海豚益智积木", "小海豚", "玩具"),
    (5, "product_building", "金普牌陶瓷墙地砖", "金普", "瓷砖"),
    (5, "product_building", "金普牌防水涂料", "金普", "防水材料"),
    (5, "product_building", "金普牌内墙乳胶漆", "金普", "涂料"),
    (5, "product_building", "金普牌塑钢门窗", "金普", "门窗"),
)
PRODUCT_RESPONSES = 30  # mean responses per product line and wave

DEVELOPERS = ("金普置业有限公司", "海湾房地产开发有限公司", "港城地产集团有限公司")
BUILDERS = ("金州建工集团有限公司", "辽东建设工程有限公司", "新区市政工程有限公司")
CONSTRUCTION_SECTORS = (
    ("housing", "住宅", "Housing", 0.7),
    ("public_works", "市政工程", "Public works", 0.3),
)


@dataclass(frozen=True)
class DemoProject:
    """A housing project (developer, builder, dwellings) or public work with its true index
    in each wave (planted exactly: no random unit effect)."""

    name: str
    sector: str
    street: str
    truth: dict[str, float]
    developer: int | None = None
    builder: int = 0
    dwellings: int | None = None
    delivered_on: str | None = None
    residents: float | None = None  # public works: residents of the street (weight)


def _p(name, street, developer, builder, dwellings, delivered, q3, q4) -> DemoProject:
    return DemoProject(name, "housing", street, {"2026Q3": q3, "2026Q4": q4}, developer,
                       builder, dwellings, delivered)


# Ten projects (nine design df for the housing sector): three improve by 12-13 points
# (clearly significant), the others hardly move.
PROJECTS = (
    _p("海湾花园", "友谊街道", 0, 0, 480, "2024-06-30", 70.0, 83.0),
    _p("金港家园", "站前街道", 0, 1, 360, "2024-12-31", 72.0, 85.0),
    _p("滨海名苑", "湾里街道", 1, 0, 640, "2025-06-30", 68.0, 80.0),
    _p("董家沟新城", "董家沟街道", 1, 1, 720, "2023-09-30", 76.0, 76.0),
    _p("金石滩湾畔", "金石滩街道", 2, 0, 300, "2025-03-31", 78.0, 77.5),
    _p("先进里小区", "先进街道", 2, 1, 420, "2022-12-31", 74.0, 74.5),
    _p("马桥子雅居", "马桥子街道", 0, 1, 260, "2025-09-30", 73.0, 74.0),
    _p("大孤山锦园", "大孤山街道", 1, 0, 540, "2024-09-30", 71.0, 71.5),
    _p("拥政里花苑", "拥政街道", 2, 0, 330, "2023-06-30", 75.0, 75.5),
    _p("保税区海景城", "保税区物流园区", 0, 0, 600, "2024-03-31", 72.0, 72.0),
)
IMPROVED = ("海湾花园", "金港家园", "滨海名苑")
FLAT = ("董家沟新城", "金石滩湾畔", "先进里小区", "大孤山锦园", "拥政里花苑", "保税区海景城")
PUBLIC_WORKS = (
    DemoProject("金马路改造工程", "public_works", "友谊街道", {"2026Q3": 75.0, "2026Q4": 78.0},
                builder=2, residents=18000.0),
    DemoProject("滨海公园", "public_works", "金石滩街道", {"2026Q3": 80.0, "2026Q4": 80.5},
                builder=2, residents=9000.0),
    DemoProject("站前排水管网改造", "public_works", "站前街道",
                {"2026Q3": 70.0, "2026Q4": 74.0}, builder=2, residents=15000.0),
    DemoProject("董家沟体育公园", "public_works", "董家沟街道",
                {"2026Q3": 78.0, "2026Q4": 78.0}, builder=2, residents=12000.0),
)
HOUSING_RESPONSES = 55  # mean responses (dwellings answering) per project and wave
PUBLIC_WORK_RESPONSES = 40
