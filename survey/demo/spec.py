"""The synthetic demo district: categories, sectors, enterprises and their true indices.

Everything here is invented for demonstration. The category targets (producer services ≥ 85,
traditional services ≥ 80) are the ones in the district's quality development plan
(shared/seed/quality-strong-district-plan.txt, 发展目标 → 服务质量).
"""

from __future__ import annotations

from dataclasses import dataclass

PLAN_SOURCE = "区质量强区规划：发展目标 → 服务质量"
WEIGHT_SOURCE = "演示数据：虚构的行业增加值占比 （demo： invented value-added shares）"

CATEGORIES = (
    # code, name_zh, name_en, target, district weight
    ("producer", "生产性服务业", "Producer services", 85.0, 0.55),
    ("consumer", "传统（生活性）服务业", "Traditional (consumer) services", 80.0, 0.45),
)


@dataclass(frozen=True)
class DemoSector:
    """A demo sector with its true satisfaction index in each wave."""

    code: str
    category: str
    name_zh: str
    name_en: str
    weight: float
    truth: dict[str, float]
    enterprises: tuple[str, ...]


# True indices: some sectors above their target, some below, some within a point of it.
SECTORS = (
    DemoSector(
        "finance",
        "producer",
        "金融服务",
        "Financial services",
        0.22,
        {"2026Q3": 86.8, "2026Q4": 87.6},
        (
            "金普农商银行开发区支行",
            "辽东银行金州支行",
            "保税区兴业证券营业部",
            "新港财产保险金普中心",
            "海湾小额贷款公司",
        ),
    ),
    DemoSector(
        "logistics",
        "producer",
        "现代物流",
        "Modern logistics",
        0.16,
        {"2026Q3": 82.1, "2026Q4": 83.0},
        ("保税港区联运物流", "大窑湾冷链仓储", "金港快运", "东北亚供应链服务", "湾里城市配送中心"),
    ),
    DemoSector(
        "transport",
        "producer",
        "交通运输",
        "Transport",
        0.14,
        {"2026Q3": 84.6, "2026Q4": 85.3},
        ("金普公交集团", "开发区出租汽车公司", "滨海客运站", "大孤山港航服务", "金州长途客运"),
    ),
    DemoSector(
        "information",
        "producer",
        "信息服务",
        "Information services",
        0.15,
        {"2026Q3": 87.9, "2026Q4": 88.2},
        (
            "海湾通信金普营业厅",
            "云港软件服务",
            "新区宽带网络公司",
            "东港数据中心",
            "开发区信息技术服务公司",
        ),
    ),
    DemoSector(
        "business",
        "producer",
        "商务服务",
        "Business services",
        0.13,
        {"2026Q3": 84.2, "2026Q4": 84.6},
        ("金湾律师事务所", "诚信会计师事务所", "东方人力资源服务", "远景管理咨询", "湾区广告传媒"),
    ),
    DemoSector(
        "technology",
        "producer",
        "科技服务",
        "Technology services",
        0.12,
        {"2026Q3": 85.9, "2026Q4": 86.7},
        (
            "新区工业设计中心",
            "海创研发服务",
            "金州技术转移中心",
            "智造工程咨询",
            "港城知识产权服务",
        ),
    ),
    DemoSector(
        "inspection",
        "producer",
        "检验检测认证",
        "Testing, inspection and certification",
        0.08,
        {"2026Q3": 83.0, "2026Q4": 82.4},
        (
            "金普检验检测中心",
            "海湾质量认证",
            "港口商品检验服务",
            "新区计量测试所",
            "东北亚检测技术",
        ),
    ),
    DemoSector(
        "catering",
        "consumer",
        "餐饮",
        "Catering",
        0.20,
        {"2026Q3": 77.6, "2026Q4": 78.4},
        ("老金州海鲜馆", "开发区家常菜馆", "湾里快餐连锁", "金石滩海景餐厅", "董家沟饺子馆"),
    ),
    DemoSector(
        "tourism",
        "consumer",
        "旅游",
        "Tourism",
        0.12,
        {"2026Q3": 81.2, "2026Q4": 81.9},
        ("金石滩景区", "海湾国际旅行社", "发现王国主题乐园", "城市山林旅行社", "滨海观光游船"),
    ),
    DemoSector(
        "retail",
        "consumer",
        "零售",
        "Retail",
        0.22,
        {"2026Q3": 79.8, "2026Q4": 80.4},
        ("新区百货商场", "开发区生活超市", "金州便利连锁", "港城家电卖场", "友谊街药房"),
    ),
    DemoSector(
        "wholesale",
        "consumer",
        "批发",
        "Wholesale",
        0.10,
        {"2026Q3": 75.9, "2026Q4": 76.8},
        ("金州水产批发市场", "开发区建材批发", "海湾果蔬批发", "港城日用品批发", "保税区酒水批发"),
    ),
    DemoSector(
        "accommodation",
        "consumer",
        "住宿",
        "Accommodation",
        0.11,
        {"2026Q3": 82.7, "2026Q4": 83.4},
        ("金石滩度假酒店", "开发区商务宾馆", "海湾快捷酒店", "湾里民宿", "金州国际大酒店"),
    ),
    DemoSector(
        "household",
        "consumer",
        "居民和家庭服务",
        "Resident and household services",
        0.09,
        {"2026Q3": 79.1, "2026Q4": 79.6},
        ("好帮手家政服务", "邻里家电维修", "丽人美发", "洁净洗衣连锁", "安心养老服务中心"),
    ),
    DemoSector(
        "culture_sport",
        "consumer",
        "文化体育",
        "Culture and sport",
        0.16,
        {"2026Q3": 82.0, "2026Q4": 82.6},
        ("新区文化中心", "金州体育馆", "海湾影城", "开发区全民健身中心", "港城图书城"),
    ),
)

STREETS = (
    "友谊街道",
    "拥政街道",
    "站前街道",
    "先进街道",
    "马桥子街道",
    "湾里街道",
    "大孤山街道",
    "董家沟街道",
    "金石滩街道",
    "保税区物流园区",
    "金州经济开发区",
)
WAVES = (
    # code, opens, closes, status, mean responses per enterprise
    ("2026Q3", "2026-07-01", "2026-09-30", "closed", 26),
    ("2026Q4", "2026-10-01", "2026-12-31", "open", 22),
)
BRANCHES_PER_NAME = 2


def enterprise_names(sector: DemoSector) -> list[str]:
    """Ten enterprises per sector: each named one and a branch (分店) in another street.

    Ten enterprises give a sector 9 design degrees of freedom, above the publication rule's
    minimum of 8 when enterprises are treated as a sample of their sector.
    """
    names = list(sector.enterprises)
    for i, name in enumerate(sector.enterprises):
        street = STREETS[(i * 3 + len(name)) % len(STREETS)]
        names.append(f"{name}（{street}分店）")
    return names


# Administrative division code used for the demo's credit codes (invented district).
DIVISION = "210213"
