"""Synthetic datasets that behave like a cotton supply chain (``graphtrace generate``).

``generate(out_dir, links, seed)`` writes ``facilities.csv``, ``supplies.csv``, ``products.csv``,
``bom.csv`` and ``flags.csv`` in the dataset contract (``docs/dataset.md``), with about ``links``
supply rows. The shape follows ``shared/notes/performance.md``:

- tiers farm → gin → spinner → fabric_mill → dyehouse → garment_maker, and SKUs made at garment
  makers, with node fractions .30/.05/.05/.10/.05/.10 and .35 SKUs;
- fan-in per buyer ``1 + Poisson(mean - 1)`` (means 3, 4, 5, 3, 4 and 3 BOM rows per SKU);
- supplier popularity Zipf(0.8) over each tier, randomly permuted so that hubs are not the low ids;
- tier skips (a buyer sourcing two tiers up) with probability 0.05;
- volumes Gamma(0.7), written in mixed mass units (kg, t, lb, g), a few buyers without volumes;
- a share ``xinjiang_share`` of the origins (farms, gins) in Xinjiang with real Xinjiang names and
  codes, all other facilities in real places elsewhere (plus a few look-alike traps);
- 20 % of spinners and fabric mills untraced (no inbound supply: known-origin share 80 %);
- back-edges (dyehouse/garment maker → spinner/mill, recycling) closing cycles, an open trader
  ring, and exactly one closed trader loop with no outside input;
- sub-assemblies in the BOM (acyclic: a product only contains lower-numbered products), BOM rows in
  kg/g or in m/pcs with ``mass_kg``, time-bounded supplies (some expired), audit flags.

Everything is drawn from ``numpy.random.default_rng(seed)`` in a fixed order and written with
vectorised pyarrow string kernels in fixed-size chunks, so the same ``(links, seed)`` gives
byte-identical files and 10⁷ links stay within a few GB.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["generate"]

# --- shape of the chain ------------------------------------------------------------------------

#: Facility tiers, upstream first; traders are added after them.
ROLES = ("farm", "gin", "spinner", "fabric_mill", "dyehouse", "garment_maker", "trader")
ROLE_CODES = ("FARM", "GIN", "SPN", "MIL", "DYE", "GAR", "TRD")
FARM, GIN, SPINNER, MILL, DYEHOUSE, GARMENT, TRADER = range(7)
#: Share of all nodes (facilities and SKUs) in each facility tier; SKUs take the rest.
TIER_FRACTIONS = (0.30, 0.05, 0.05, 0.10, 0.05, 0.10)
SKU_FRACTION = 0.35
#: Mean fan-in of a buyer of each tier (suppliers from the tier above); farms buy nothing.
FAN_IN = (0.0, 3.0, 4.0, 5.0, 3.0, 4.0)
#: Mean number of BOM rows of a product.
BOM_FAN_IN = 3.0
#: Minimum size of each tier, so that tiny datasets still form a whole chain.
TIER_MIN = (2, 1, 2, 2, 1, 2)
ZIPF_EXPONENT = 0.8
TIER_SKIP = 0.05
GAMMA_SHAPE = 0.7
#: Share of spinners and fabric mills with no inbound supply (known-origin share 80 %).
UNTRACED_SHARE = 0.20
UNTRACED_TIERS = (SPINNER, MILL)
#: Buyers whose inbound supplies partly lack a volume (their results are estimated).
NO_VOLUME_BUYERS = 0.01
#: Supplies with a validity range.
DATED_SUPPLIES = 0.03
#: Products with no BOM rows (they take their made_at facility's bounds).
NO_BOM_PRODUCTS = 0.02
SUBASSEMBLY_SHARE = 0.15  # of the BOM rows after the main fabric
CHUNK = 1 << 17  # rows rendered at a time
THREADS = max(1, min(4, os.cpu_count() or 1))

#: Material each role sells downstream; back-edges carry recycled fibre.
MATERIALS = (
    "seed cotton",
    "cotton lint",
    "cotton yarn",
    "greige fabric",
    "dyed fabric",
    "garments",
    "cotton lint",
)
BACK_MATERIAL = "recycled cotton fibre"
#: Typical lot mass (kg) sold by each role; Gamma(0.7) around it.
LOT_KG = (9000.0, 20000.0, 6000.0, 4000.0, 3000.0, 500.0, 25000.0)
BACK_LOT_KG = 300.0
#: Volume units: (unit, kg per unit, probability, decimals, minimum value written).
UNITS = (
    ("kg", 1.0, 0.55, 1, 0.1),
    ("t", 1000.0, 0.25, 3, 0.001),
    ("lb", 0.45359237, 0.12, 1, 0.1),
    ("g", 0.001, 0.08, 0, 1.0),
)

# --- geography ---------------------------------------------------------------------------------

XJ_PROVINCES = ("Xinjiang", "新疆维吾尔自治区", "Xinjiang Uygur Autonomous Region")


@dataclass(frozen=True)
class Place:
    """A real place: country, province, city (English and Chinese), codes and coordinates."""

    iso: str
    province: str
    city: str
    postcode: str
    lat: float
    lon: float
    province_zh: str = ""
    city_zh: str = ""
    short: str = ""  # city name used as a company-name prefix (pinyin for China)
    short_zh: str = ""
    admin: str = ""


def _xj(city: str, city_zh: str, postcode: str, admin: str, lat: float, lon: float) -> Place:
    short_zh = city_zh[:-1] if city_zh[-1] in "市县" else city_zh
    return Place(
        "CN",
        "Xinjiang",
        city,
        postcode,
        lat,
        lon,
        "新疆维吾尔自治区",
        city_zh,
        city,
        short_zh,
        admin,
    )


def _cn(
    province: str,
    province_zh: str,
    city: str,
    city_zh: str,
    postcode: str,
    admin: str,
    lat: float,
    lon: float,
) -> Place:
    short_zh = city_zh[:-1] if city_zh[-1] in "市县" else city_zh
    return Place(
        "CN", province, city, postcode, lat, lon, province_zh, city_zh, city, short_zh, admin
    )


#: Xinjiang cotton places (county-level admin codes, XPCC cities 6590xx), weighted by cotton.
XJ_PLACES: tuple[tuple[Place, float], ...] = (
    (_xj("Aksu", "阿克苏市", "843000", "652901", 41.17, 80.26), 3.0),
    (_xj("Kuqa", "库车市", "842000", "652902", 41.72, 82.96), 2.0),
    (_xj("Shaya", "沙雅县", "842200", "652924", 41.22, 82.78), 1.5),
    (_xj("Awati", "阿瓦提县", "843200", "652928", 40.64, 80.38), 1.5),
    (_xj("Korla", "库尔勒市", "841000", "652801", 41.76, 86.15), 2.5),
    (_xj("Yuli", "尉犁县", "841500", "652823", 41.34, 86.26), 1.0),
    (_xj("Kashgar", "喀什市", "844000", "653101", 39.47, 75.99), 2.0),
    (_xj("Bachu", "巴楚县", "843800", "653130", 39.79, 78.55), 1.0),
    (_xj("Shache", "莎车县", "844700", "653125", 38.41, 77.24), 1.0),
    (_xj("Hotan", "和田市", "848000", "653201", 37.11, 79.92), 0.5),
    (_xj("Changji", "昌吉市", "831100", "652301", 44.01, 87.31), 1.5),
    (_xj("Manas", "玛纳斯县", "832200", "652324", 44.30, 86.21), 1.5),
    (_xj("Shawan", "沙湾市", "832100", "654203", 44.33, 85.62), 1.5),
    (_xj("Urumqi", "乌鲁木齐市", "830002", "650102", 43.83, 87.62), 0.5),
    (_xj("Bole", "博乐市", "833400", "652701", 44.90, 82.07), 1.0),
    (_xj("Turpan", "吐鲁番市", "838000", "650402", 42.95, 89.19), 0.5),
    (_xj("Hami", "哈密市", "839000", "650502", 42.82, 93.51), 0.5),
    (_xj("Kuytun", "奎屯市", "833200", "654003", 44.43, 84.90), 1.0),
    (_xj("Shihezi", "石河子市", "832000", "659001", 44.31, 86.04), 2.0),
    (_xj("Aral", "阿拉尔市", "843300", "659002", 40.54, 81.28), 2.0),
    (_xj("Tumxuk", "图木舒克市", "843806", "659003", 39.87, 79.07), 1.0),
    (_xj("Wujiaqu", "五家渠市", "831300", "659004", 44.17, 87.54), 1.0),
    (_xj("Yining", "伊宁市", "835000", "654002", 43.91, 81.28), 0.5),
)

PLACES: dict[str, Place] = {
    # China outside Xinjiang (city-level admin codes)
    "binzhou": _cn("Shandong", "山东省", "Binzhou", "滨州市", "256600", "371600", 37.38, 117.97),
    "handan": _cn("Hebei", "河北省", "Handan", "邯郸市", "056000", "130400", 36.63, 114.54),
    "jingzhou": _cn("Hubei", "湖北省", "Jingzhou", "荆州市", "434000", "421000", 30.33, 112.24),
    "dunhuang": _cn("Gansu", "甘肃省", "Dunhuang", "敦煌市", "736200", "620982", 40.14, 94.66),
    "anqing": _cn("Anhui", "安徽省", "Anqing", "安庆市", "246000", "340800", 30.54, 117.06),
    "wuxi": _cn("Jiangsu", "江苏省", "Wuxi", "无锡市", "214000", "320200", 31.49, 120.31),
    "nantong": _cn("Jiangsu", "江苏省", "Nantong", "南通市", "226000", "320600", 31.98, 120.89),
    "changzhou": _cn("Jiangsu", "江苏省", "Changzhou", "常州市", "213000", "320400", 31.81, 119.97),
    "shaoxing": _cn("Zhejiang", "浙江省", "Shaoxing", "绍兴市", "312000", "330600", 30.00, 120.58),
    "ningbo": _cn("Zhejiang", "浙江省", "Ningbo", "宁波市", "315000", "330200", 29.87, 121.54),
    "dongguan": _cn("Guangdong", "广东省", "Dongguan", "东莞市", "523000", "441900", 23.02, 113.75),
    "guangzhou": _cn(
        "Guangdong", "广东省", "Guangzhou", "广州市", "510000", "440100", 23.13, 113.26
    ),
    "foshan": _cn("Guangdong", "广东省", "Foshan", "佛山市", "528000", "440600", 23.02, 113.12),
    "zhengzhou": _cn("Henan", "河南省", "Zhengzhou", "郑州市", "450000", "410100", 34.75, 113.63),
    "jinjiang": _cn("Fujian", "福建省", "Jinjiang", "晋江市", "362200", "350582", 24.78, 118.55),
    "shanghai": _cn("Shanghai", "上海市", "Shanghai", "上海市", "200000", "310100", 31.23, 121.47),
    # India
    "rajkot": Place("IN", "Gujarat", "Rajkot", "360001", 22.30, 70.80),
    "ahmedabad": Place("IN", "Gujarat", "Ahmedabad", "380001", 23.02, 72.57),
    "nagpur": Place("IN", "Maharashtra", "Nagpur", "440001", 21.15, 79.09),
    "adilabad": Place("IN", "Telangana", "Adilabad", "504001", 19.67, 78.53),
    "coimbatore": Place("IN", "Tamil Nadu", "Coimbatore", "641001", 11.02, 76.96),
    "tiruppur": Place("IN", "Tamil Nadu", "Tiruppur", "641601", 11.11, 77.34),
    "ludhiana": Place("IN", "Punjab", "Ludhiana", "141001", 30.90, 75.86),
    "bengaluru": Place("IN", "Karnataka", "Bengaluru", "560001", 12.97, 77.59),
    # Pakistan
    "multan": Place("PK", "Punjab", "Multan", "60000", 30.20, 71.47),
    "faisalabad": Place("PK", "Punjab", "Faisalabad", "38000", 31.42, 73.08),
    "lahore": Place("PK", "Punjab", "Lahore", "54000", 31.55, 74.34),
    "karachi": Place("PK", "Sindh", "Karachi", "74000", 24.86, 67.01),
    "hyderabad_pk": Place("PK", "Sindh", "Hyderabad", "71000", 25.40, 68.37),
    # Bangladesh
    "dhaka": Place("BD", "Dhaka Division", "Dhaka", "1000", 23.81, 90.41),
    "gazipur": Place("BD", "Dhaka Division", "Gazipur", "1700", 24.00, 90.42),
    "narayanganj": Place("BD", "Dhaka Division", "Narayanganj", "1400", 23.62, 90.50),
    "chattogram": Place("BD", "Chattogram Division", "Chattogram", "4000", 22.36, 91.78),
    # Viet Nam
    "hcmc": Place("VN", "Ho Chi Minh City", "Ho Chi Minh City", "70000", 10.82, 106.63),
    "hanoi": Place("VN", "Hanoi", "Hanoi", "10000", 21.03, 105.85),
    "binhduong": Place("VN", "Binh Duong", "Thu Dau Mot", "75000", 10.98, 106.65),
    # Türkiye
    "denizli": Place("TR", "Denizli", "Denizli", "20000", 37.78, 29.09),
    "bursa": Place("TR", "Bursa", "Bursa", "16000", 40.19, 29.06),
    "istanbul": Place("TR", "Istanbul", "Istanbul", "34000", 41.01, 28.98),
    "kahramanmaras": Place("TR", "Kahramanmaras", "Kahramanmaras", "46000", 37.58, 36.94),
    "sanliurfa": Place("TR", "Sanliurfa", "Sanliurfa", "63000", 37.16, 38.79),
    # United States
    "lubbock": Place("US", "Texas", "Lubbock", "79401", 33.58, -101.86),
    "greenwood": Place("US", "Mississippi", "Greenwood", "38930", 33.52, -90.18),
    "tifton": Place("US", "Georgia", "Tifton", "31794", 31.45, -83.51),
    "charlotte": Place("US", "North Carolina", "Charlotte", "28202", 35.23, -80.84),
    "memphis": Place("US", "Tennessee", "Memphis", "38103", 35.15, -90.05),
    # Uzbekistan
    "tashkent": Place("UZ", "Tashkent", "Tashkent", "100000", 41.30, 69.24),
    "fergana": Place("UZ", "Fergana", "Fergana", "150100", 40.39, 71.79),
    "bukhara": Place("UZ", "Bukhara", "Bukhara", "200100", 39.77, 64.42),
    # Egypt, Brazil, Australia, Cambodia
    "kafrelsheikh": Place("EG", "Kafr El Sheikh", "Kafr El Sheikh", "33511", 31.11, 30.94),
    "mahalla": Place("EG", "Gharbia", "El Mahalla El Kubra", "31951", 30.97, 31.17),
    "alexandria": Place("EG", "Alexandria", "Alexandria", "21500", 31.20, 29.92),
    "rondonopolis": Place("BR", "Mato Grosso", "Rondonopolis", "78700-000", -16.47, -54.64),
    "moree": Place("AU", "New South Wales", "Moree", "2400", -29.47, 149.84),
    "phnompenh": Place("KH", "Phnom Penh", "Phnom Penh", "12000", 11.56, 104.93),
    # trading hubs
    "singapore": Place("SG", "Singapore", "Singapore", "048616", 1.28, 103.85),
    "hongkong": Place("HK", "Hong Kong", "Hong Kong", "", 22.32, 114.17),
    "geneva": Place("CH", "Geneva", "Geneva", "1201", 46.21, 6.14),
    "dubai": Place("AE", "Dubai", "Dubai", "", 25.20, 55.27),
    # look-alike traps: none of these is in Xinjiang
    "windhoek": Place("NA", "Khomas", "Windhoek", "", -22.56, 17.08),  # "NA" is Namibia
    "kaohsiung": Place("TW", "Kaohsiung City", "Fengshan District", "830", 22.63, 120.36),
    "xinjiang_shanxi": Place(
        "CN",
        "Shanxi",
        "Xinjiang County",
        "043100",
        35.62,
        111.22,
        "山西省",
        "新绛县",
        "Yuncheng",
        "运城",
        "140825",
    ),
    "bazhou_hebei": Place(
        "CN",
        "Hebei",
        "Bazhou",
        "065700",
        39.12,
        116.39,
        "河北省",
        "霸州市",
        "Bazhou",
        "霸州",
        "131081",
    ),
}

#: Where each role is located outside Xinjiang: (place key, weight).
ROLE_PLACES: tuple[tuple[tuple[str, float], ...], ...] = (
    (
        ("binzhou", 2),
        ("handan", 2),
        ("jingzhou", 1),
        ("dunhuang", 1),
        ("anqing", 1),
        ("rajkot", 3),
        ("nagpur", 2),
        ("adilabad", 2),
        ("multan", 3),
        ("hyderabad_pk", 2),
        ("lubbock", 3),
        ("greenwood", 1),
        ("tifton", 1),
        ("fergana", 2),
        ("bukhara", 2),
        ("rondonopolis", 3),
        ("moree", 1),
        ("kafrelsheikh", 1),
        ("sanliurfa", 2),
    ),
    (
        ("binzhou", 2),
        ("handan", 1),
        ("jingzhou", 1),
        ("rajkot", 3),
        ("nagpur", 2),
        ("multan", 3),
        ("lubbock", 3),
        ("fergana", 2),
        ("rondonopolis", 2),
        ("moree", 1),
        ("kafrelsheikh", 1),
        ("sanliurfa", 2),
    ),
    (
        ("wuxi", 2),
        ("binzhou", 2),
        ("zhengzhou", 1),
        ("nantong", 1),
        ("coimbatore", 3),
        ("ludhiana", 2),
        ("faisalabad", 3),
        ("hcmc", 1),
        ("binhduong", 2),
        ("kahramanmaras", 2),
        ("denizli", 1),
        ("tashkent", 2),
        ("narayanganj", 1),
        ("charlotte", 1),
    ),
    (
        ("shaoxing", 3),
        ("changzhou", 1),
        ("nantong", 1),
        ("ahmedabad", 2),
        ("tiruppur", 1),
        ("faisalabad", 2),
        ("karachi", 2),
        ("narayanganj", 2),
        ("gazipur", 1),
        ("bursa", 2),
        ("denizli", 1),
        ("binhduong", 1),
        ("mahalla", 1),
    ),
    (
        ("shaoxing", 3),
        ("foshan", 1),
        ("tiruppur", 2),
        ("ahmedabad", 1),
        ("karachi", 1),
        ("narayanganj", 2),
        ("bursa", 1),
        ("hcmc", 1),
        ("mahalla", 1),
    ),
    (
        ("dongguan", 2),
        ("guangzhou", 1),
        ("ningbo", 2),
        ("jinjiang", 1),
        ("dhaka", 3),
        ("gazipur", 3),
        ("chattogram", 2),
        ("hcmc", 2),
        ("hanoi", 1),
        ("tiruppur", 2),
        ("bengaluru", 1),
        ("lahore", 1),
        ("istanbul", 2),
        ("phnompenh", 2),
    ),
    (
        ("shanghai", 2),
        ("singapore", 2),
        ("hongkong", 2),
        ("geneva", 1),
        ("dubai", 1),
        ("memphis", 1),
    ),
)
#: Trap places, each given to exactly one facility of a tier (when the tier has room).
TRAPS = (
    ("windhoek", GARMENT),
    ("kaohsiung", MILL),
    ("xinjiang_shanxi", SPINNER),
    ("bazhou_hebei", GARMENT),
)

COUNTRY_NAMES = {
    "CN": "China",
    "IN": "India",
    "PK": "Pakistan",
    "BD": "Bangladesh",
    "VN": "Viet Nam",
    "TR": "Türkiye",
    "US": "United States",
    "UZ": "Uzbekistan",
    "EG": "Egypt",
    "BR": "Brazil",
    "AU": "Australia",
    "KH": "Cambodia",
    "SG": "Singapore",
    "HK": "Hong Kong",
    "CH": "Switzerland",
    "AE": "United Arab Emirates",
    "NA": "NA",
    "TW": "Taiwan",
}
LEGAL_FORMS = {
    "CN": "Co., Ltd.",
    "IN": "Pvt. Ltd.",
    "PK": "(Pvt.) Ltd.",
    "BD": "Ltd.",
    "VN": "Joint Stock Company",
    "TR": "A.Ş.",
    "US": "LLC",
    "UZ": "LLC",
    "EG": "S.A.E.",
    "BR": "Ltda.",
    "AU": "Pty Ltd",
    "KH": "Co., Ltd.",
    "SG": "Pte. Ltd.",
    "HK": "Limited",
    "CH": "SA",
    "AE": "FZE",
    "NA": "(Pty) Ltd",
    "TW": "Co., Ltd.",
}

# --- names -------------------------------------------------------------------------------------

#: Fictitious Chinese trade names with their pinyin.
CN_BRANDS = (
    ("华锦", "Huajin"),
    ("鑫源", "Xinyuan"),
    ("恒丰", "Hengfeng"),
    ("瑞达", "Ruida"),
    ("金穗", "Jinsui"),
    ("永盛", "Yongsheng"),
    ("远航", "Yuanhang"),
    ("宏泰", "Hongtai"),
    ("嘉禾", "Jiahe"),
    ("润丰", "Runfeng"),
    ("兴隆", "Xinglong"),
    ("明辉", "Minghui"),
    ("锦程", "Jincheng"),
    ("凯源", "Kaiyuan"),
    ("泰和", "Taihe"),
    ("万顺", "Wanshun"),
    ("佳利", "Jiali"),
    ("康华", "Kanghua"),
    ("宝隆", "Baolong"),
    ("丰泽", "Fengze"),
    ("云帆", "Yunfan"),
    ("盛达", "Shengda"),
    ("天成", "Tiancheng"),
    ("利群", "Liqun"),
)
#: Fictitious trade names for companies outside China.
INTL_BRANDS = (
    "Brightloom",
    "Evercotton",
    "Silverthread",
    "Lotusfield",
    "Goldspindle",
    "Riverbend",
    "Northwind",
    "Sunweave",
    "Bluecrest",
    "Jadeleaf",
    "Redmaple",
    "Oakridge",
    "Pearlbay",
    "Starfield",
    "Harborline",
    "Moonstone",
    "Cedarpoint",
    "Amberfield",
    "Greenvale",
    "Skyline",
    "Indigo Crest",
    "Saffron",
    "Monsoon",
    "Deltaweave",
    "Cottonwood",
    "Meridian",
    "Crescent",
    "Tigris",
    "Kestrel",
    "Marigold",
)
#: Two industry words per role, English and Chinese.
INDUSTRY_EN = (
    "Cotton Farming",
    "Agriculture",
    "Cotton Ginning",
    "Cotton",
    "Spinning",
    "Yarn",
    "Textile",
    "Weaving",
    "Dyeing and Finishing",
    "Printing and Dyeing",
    "Garment",
    "Apparel",
    "Cotton Trading",
    "Textile Import and Export",
)
INDUSTRY_ZH = (
    "棉花种植",
    "农业",
    "轧花",
    "棉业",
    "纺纱",
    "棉纺",
    "纺织",
    "织造",
    "印染",
    "染整",
    "服装",
    "服饰",
    "棉花贸易",
    "纺织品进出口",
)
STREETS = (
    ("解放", "Jiefang"),
    ("人民", "Renmin"),
    ("中山", "Zhongshan"),
    ("建设", "Jianshe"),
    ("长江", "Changjiang"),
    ("黄河", "Huanghe"),
    ("滨河", "Binhe"),
    ("工业", "Gongye"),
    ("开发", "Kaifa"),
    ("友谊", "Youyi"),
    ("胜利", "Shengli"),
    ("和平", "Heping"),
)
INTL_STREETS = (
    "Industrial",
    "Station",
    "Canal",
    "Mill",
    "Market",
    "River",
    "Lake",
    "Hill",
    "Garden",
    "Harbour",
    "Cotton",
    "Export Zone",
)
FLAG_REASONS = (
    "Audit 2023-04: undisclosed purchases of Xinjiang lint",
    "Third-party audit found forced-labour indicators (withheld wages)",
    "Customs detention of a yarn shipment under a withhold release order",
    "Isotope test of yarn matched Xinjiang-origin cotton",
    "Supplier refused a traceability audit of its lint sources",
    "Transfer of Uyghur workers documented by an NGO report",
)
PRODUCT_STYLES = (
    "Classic",
    "Essential",
    "Relaxed",
    "Slim",
    "Heritage",
    "Everyday",
    "Organic",
    "Vintage",
)
PRODUCT_TYPES = (
    "Crew T-Shirt",
    "Polo Shirt",
    "Oxford Shirt",
    "Chino Trousers",
    "Denim Jeans",
    "Hoodie",
    "Sweatpants",
    "Pyjama Set",
    "Bath Towel",
    "Bed Sheet",
    "Socks 3-Pack",
    "Baby Bodysuit",
)
#: Main fabric of each product type (parallel to PRODUCT_TYPES).
PRODUCT_FABRICS = (
    "cotton jersey",
    "cotton pique",
    "cotton oxford cloth",
    "cotton twill",
    "cotton denim",
    "cotton fleece",
    "cotton fleece",
    "cotton poplin",
    "cotton terry",
    "cotton percale",
    "cotton rib knit",
    "cotton interlock",
)
COLOURS = ("White", "Black", "Navy", "Heather Grey", "Olive", "Indigo", "Sand", "Burgundy")
SECOND_FABRICS = ("cotton rib trim", "cotton pocketing", "cotton lining", "cotton tape")
#: Trims measured in pieces or metres: (component, unit, kg per unit, max quantity).
TRIMS = (
    ("sewing thread", "m", 0.00002, 400),
    ("metal button", "pcs", 0.002, 8),
    ("woven label", "pcs", 0.001, 3),
    ("zipper", "pcs", 0.02, 2),
    ("elastic band", "m", 0.01, 2),
    ("cotton drawcord", "m", 0.008, 2),
)

COLUMNS = {
    "facilities": (
        "facility_id",
        "name",
        "role",
        "country",
        "province",
        "city",
        "address",
        "postal_code",
        "admin_code",
        "latitude",
        "longitude",
        "aliases",
        "company",
    ),
    "supplies": (
        "supplier_id",
        "buyer_id",
        "material",
        "volume",
        "unit",
        "valid_from",
        "valid_to",
        "reference",
    ),
    "products": ("sku", "name", "made_at"),
    "bom": ("sku", "component", "quantity", "unit", "supplier_id", "mass_kg"),
    "flags": ("facility_id", "reason"),
}

_EPOCH = np.datetime64("1970-01-01", "D")


def _day(iso: str) -> int:
    return int((np.datetime64(iso, "D") - _EPOCH).astype(np.int64))


# --- the graph ---------------------------------------------------------------------------------


@dataclass
class _Graph:
    """Facilities as integer ids grouped by role, supply edges as arrays sorted by buyer."""

    sizes: list[int]  # facilities per role (ROLES order)
    starts: np.ndarray  # first id of each role, and the total at the end
    role: np.ndarray  # int8 role of each facility
    traced: np.ndarray  # bool: has an inbound supply
    supplier: np.ndarray  # int64
    buyer: np.ndarray  # int64
    back: np.ndarray  # bool: a back-edge (recycling)
    closed_loop: np.ndarray  # ids of the traders of the closed loop
    n_skus: int

    @property
    def n_facilities(self) -> int:
        return int(self.starts[-1])

    def members(self, role: int) -> np.ndarray:
        return np.arange(self.starts[role], self.starts[role + 1])


class _Zipf:
    """Draw members of one tier with Zipf popularity over a random permutation of the tier."""

    def __init__(self, first: int, n: int, rng: np.random.Generator) -> None:
        self.first = first
        self.cum = np.cumsum(np.arange(1, n + 1, dtype=np.float64) ** -ZIPF_EXPONENT)
        self.perm = rng.permutation(n)

    def draw(self, m: int, rng: np.random.Generator) -> np.ndarray:
        idx = np.searchsorted(self.cum, rng.random(m) * self.cum[-1], side="right")
        return self.first + self.perm[np.minimum(idx, len(self.perm) - 1)]


def _tier_sizes(nodes: float) -> tuple[list[int], int]:
    sizes = [max(lo, round(f * nodes)) for f, lo in zip(TIER_FRACTIONS, TIER_MIN, strict=True)]
    return sizes, max(2, round(SKU_FRACTION * nodes))


def _edges_per_node() -> float:
    """Expected forward supply rows per node (facilities and SKUs)."""
    total = 0.0
    for t in range(1, GARMENT + 1):
        traced = 1.0 - (UNTRACED_SHARE if t in UNTRACED_TIERS else 0.0)
        total += TIER_FRACTIONS[t] * FAN_IN[t] * traced
    return total


def _build_graph(nodes: float, links: int, back_edges: float, seed: int) -> _Graph:
    rng = np.random.default_rng(seed)
    sizes, n_skus = _tier_sizes(nodes)
    n_fac_tiers = sum(sizes)
    n_open = max(3, round(n_fac_tiers * 0.0005))
    sizes.append(n_open + 3)  # traders: an open ring, then the closed loop of three
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n_fac = int(starts[-1])
    role = np.repeat(np.arange(len(ROLES), dtype=np.int8), sizes)

    traced = np.ones(n_fac, dtype=bool)
    traced[: starts[GIN]] = False  # farms buy nothing
    for t in UNTRACED_TIERS:
        n = sizes[t]
        k = min(max(1, round(UNTRACED_SHARE * n)), n - 1)
        traced[starts[t] + rng.choice(n, size=k, replace=False)] = False

    zipf = [_Zipf(int(starts[t]), sizes[t], rng) for t in range(GARMENT + 1)]
    sup_parts: list[np.ndarray] = []
    buy_parts: list[np.ndarray] = []
    for t in range(GIN, GARMENT + 1):
        buyers = np.flatnonzero(traced[starts[t] : starts[t + 1]]) + starts[t]
        fan = 1 + rng.poisson(FAN_IN[t] - 1.0, size=len(buyers))
        b = np.repeat(buyers, fan)
        s = zipf[t - 1].draw(len(b), rng)
        if t >= SPINNER:
            skip = np.flatnonzero(rng.random(len(b)) < TIER_SKIP)
            s[skip] = zipf[t - 2].draw(len(skip), rng)
        sup_parts.append(s)
        buy_parts.append(b)

    # Traders: an open ring buying lint from gins and selling to each other and to spinners.
    traders = np.arange(starts[TRADER], starts[TRADER] + n_open)
    spinners = np.flatnonzero(traced[starts[SPINNER] : starts[SPINNER + 1]]) + starts[SPINNER]
    fan = 1 + rng.poisson(1.0, size=n_open)
    sup_parts += [zipf[GIN].draw(int(fan.sum()), rng), traders, traders[::2]]
    buy_parts += [np.repeat(traders, fan), np.roll(traders, -1), np.roll(traders, -2)[::2]]
    fan = 1 + rng.poisson(1.0, size=n_open)
    sup_parts.append(np.repeat(traders, fan))
    buy_parts.append(rng.choice(spinners, size=int(fan.sum())))
    # The closed loop: three traders supplying only each other, and onward to spinners.
    loop = np.arange(starts[TRADER] + n_open, starts[TRADER + 1])
    sup_parts += [loop, loop[1:]]
    buy_parts += [np.roll(loop, -1), rng.choice(spinners, size=2)]
    traced[traders] = True
    traced[loop] = True

    supplier = np.concatenate(sup_parts)
    buyer = np.concatenate(buy_parts)
    order = np.argsort(buyer, kind="stable")
    fwd_sup, fwd_buy = supplier[order], buyer[order]

    n_back = max(1, round(back_edges * links)) if back_edges > 0 else 0
    bs, bb = _back_edges(n_back, fwd_sup, fwd_buy, starts, role, traced, rng)
    supplier = np.concatenate([supplier, bs])
    buyer = np.concatenate([buyer, bb])
    back = np.concatenate([np.zeros(len(supplier) - len(bs), bool), np.ones(len(bs), bool)])
    key = buyer * n_fac + supplier
    _, first = np.unique(key, return_index=True)  # sorted by buyer, then supplier
    return _Graph(
        sizes, starts, role, traced, supplier[first], buyer[first], back[first], loop, n_skus
    )


def _back_edges(
    n: int,
    sup: np.ndarray,
    buy: np.ndarray,
    starts: np.ndarray,
    role: np.ndarray,
    traced: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Back-edges from dyehouses/garment makers to a spinner or mill upstream of them (a cycle)."""
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    n_fac = len(role)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(buy, minlength=n_fac))])
    deg = np.diff(indptr)
    source = rng.integers(starts[DYEHOUSE], starts[GARMENT + 1], size=n)
    target = np.full(n, -1, dtype=np.int64)
    node = source.copy()
    for hop in range(3):
        has = deg[node] > 0
        pick = indptr[node] + np.floor(rng.random(n) * np.maximum(deg[node], 1)).astype(np.int64)
        node = np.where(has, sup[np.minimum(pick, len(sup) - 1)], node)
        ok = has & ((role[node] == SPINNER) | (role[node] == MILL)) & traced[node]
        take = ok & (target < 0) & ((rng.random(n) < 0.6) | (hop == 2))
        target[take] = node[take]
    mid = np.flatnonzero(((role == SPINNER) | (role == MILL)) & traced)
    missing = target < 0
    target[missing] = rng.choice(mid, size=int(missing.sum()))
    return source, target


def _calibrated_graph(links: int, back_edges: float, seed: int) -> _Graph:
    """The graph whose supply count is closest to ``links`` (a few deterministic refinements)."""
    target = max(links, 1)
    nodes = max(target * (1.0 - back_edges), 1.0) / _edges_per_node()
    best: _Graph | None = None
    for _ in range(4):
        g = _build_graph(nodes, links, back_edges, seed)
        got = len(g.supplier)
        if best is None or abs(got - target) < abs(len(best.supplier) - target):
            best = g
        if abs(got - target) <= 0.02 * target:
            break
        nodes *= target / max(got, 1)
    assert best is not None
    return best


# --- string helpers ----------------------------------------------------------------------------


def _strs(values: Sequence[str]) -> pa.Array:
    return pa.array(list(values), type=pa.string())


def _take(pool: pa.Array, idx: np.ndarray) -> pa.Array:
    return pc.take(pool, pa.array(idx.astype(np.int32, copy=False)))


def _mask(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(bool, copy=False))


def _padded(numbers: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")


def _join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    args = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*args, sep)


def _where(mask: np.ndarray, yes: pa.Array | str | None, no: pa.Array | str | None) -> pa.Array:
    def arg(v: pa.Array | str | None) -> pa.Array | pa.Scalar:
        return v if isinstance(v, pa.Array) else pa.scalar(v, pa.string())

    return pc.if_else(_mask(mask), arg(yes), arg(no))


def _numbers(values: np.ndarray) -> pa.Array:
    """Numbers as text (shortest round-trip form), NaN as empty."""
    return pc.cast(pa.array(values, from_pandas=True), pa.string())


def _dates(days: np.ndarray) -> pa.Array:
    """Days since 1970 as ISO dates, negative as empty."""
    arr = pa.array(days.astype(np.int32), mask=days < 0).cast(pa.date32())
    return pc.cast(arr, pa.string())


def _quoted(col: pa.Array) -> pa.Array:
    """CSV-quote the values that need it (comma or quote; generated text has no line breaks)."""
    need = pc.fill_null(pc.or_(pc.match_substring(col, ","), pc.match_substring(col, '"')), False)
    if not pc.any(need).as_py():
        return col
    inner = pc.replace_substring(col, '"', '""')
    return pc.if_else(need, _join('"', inner, '"'), col)


def _width(n: int) -> int:
    return max(6, len(str(max(n, 1))))


class _Writer:
    """Writes one CSV file in chunks of columns of text (null = empty), minimally quoted."""

    def __init__(
        self,
        path: Path,
        table: str,
        quoted: Sequence[str],
        progress: Callable[[int], None] | None,
        done: list[int],
    ) -> None:
        self.columns = COLUMNS[table]
        self.quoted = set(quoted)
        self.fh: BinaryIO = path.open("wb")
        self.fh.write((",".join(self.columns) + "\n").encode("utf-8"))
        self.rows = 0
        self.progress = progress
        self.done = done

    def render(self, cols: dict[str, pa.Array]) -> pa.Array:
        """One CSV line per row (with its line break), as one string array."""
        arrays = [_quoted(cols[c]) if c in self.quoted else cols[c] for c in self.columns]
        line = pc.binary_join_element_wise(
            *arrays, pa.scalar(""), ",", null_handling="replace", null_replacement=""
        )
        # The trailing empty element adds a final comma (one byte): swap it for the line break.
        return pc.binary_replace_slice(line, start=-1, stop=2**31 - 1, replacement="\n")

    def emit(self, line: pa.Array) -> None:
        offsets = np.frombuffer(line.buffers()[1], dtype=np.int32)
        offsets = offsets[line.offset : line.offset + len(line) + 1]
        data = line.buffers()[2]
        if data is not None and len(line):
            self.fh.write(memoryview(data)[int(offsets[0]) : int(offsets[-1])])
        self.rows += len(line)
        self.done[0] += len(line)
        if self.progress is not None:
            self.progress(self.done[0])

    def write_all(self, n: int, build: Callable[[slice], dict[str, pa.Array]]) -> None:
        """Write rows ``0..n`` built chunk by chunk; chunks render in threads, land in order."""

        def job(lo: int) -> pa.Array:
            return self.render(build(slice(lo, min(n, lo + CHUNK))))

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            pending: deque[Future[pa.Array]] = deque()
            for lo in range(0, n, CHUNK):
                pending.append(pool.submit(job, lo))
                if len(pending) > THREADS:
                    self.emit(pending.popleft().result())
            while pending:
                self.emit(pending.popleft().result())

    def close(self) -> int:
        self.fh.close()
        return self.rows


# --- tables ------------------------------------------------------------------------------------


def _facilities(
    g: _Graph, ids: pa.Array, xinjiang_share: float, rng: np.random.Generator, writer: _Writer
) -> np.ndarray:
    """Write facilities.csv; return the Xinjiang mask."""
    n = g.n_facilities
    places = [p for p, _ in XJ_PLACES] + list(PLACES.values())
    keys = {k: i + len(XJ_PLACES) for i, k in enumerate(PLACES)}
    loc = np.empty(n, dtype=np.int64)
    for r in range(len(ROLES)):
        members = g.members(r)
        pool = np.array([keys[k] for k, _ in ROLE_PLACES[r]])
        w = np.array([wt for _, wt in ROLE_PLACES[r]], dtype=np.float64)
        loc[members] = pool[rng.choice(len(pool), size=len(members), p=w / w.sum())]
    xj = np.zeros(n, dtype=bool)
    xw = np.array([w for _, w in XJ_PLACES])
    for r in (FARM, GIN):
        size = g.sizes[r]
        k = round(xinjiang_share * size)
        if r == FARM and xinjiang_share > 0:
            k = max(k, 1)
        k = min(k, size - 1) if size > 1 else k
        chosen = g.starts[r] + rng.choice(size, size=k, replace=False)
        xj[chosen] = True
        loc[chosen] = rng.choice(len(XJ_PLACES), size=k, p=xw / xw.sum())
    trapped = np.zeros(n, dtype=bool)
    for place, r in TRAPS:
        cand = g.members(r)[~xj[g.members(r)] & ~trapped[g.members(r)]]
        if g.sizes[r] >= 3 and len(cand):
            at = cand[rng.integers(len(cand))]
            loc[at] = keys[place]
            trapped[at] = True

    iso = np.array([p.iso for p in places])
    is_cn = iso[loc] == "CN"
    zh_style = is_cn & (rng.random(n) < np.where(xj, 0.6, 0.45))
    country_name = (rng.random(n) < 0.1) & (iso[loc] != "NA")
    province_var = rng.integers(0, 3, size=n)
    no_province = xj & (rng.random(n) < 0.1)
    xj_prefix = xj & (rng.random(n) < 0.5)
    brand_cn = rng.integers(len(CN_BRANDS), size=n)
    brand_intl = rng.integers(len(INTL_BRANDS), size=n)
    industry = g.role.astype(np.int64) * 2 + rng.integers(0, 2, size=n)
    street = rng.integers(len(STREETS), size=n)
    street_intl = rng.integers(len(INTL_STREETS), size=n)
    house = rng.integers(1, 400, size=n)
    no_address = rng.random(n) < 0.05
    no_postcode = rng.random(n) < np.where(xj, 0.3, 0.15)
    no_postcode &= ~no_province  # a Xinjiang facility always keeps a Xinjiang signal
    admin = is_cn & (rng.random(n) < np.where(xj, 0.5, 0.4))
    lat = np.array([p.lat for p in places])[loc] + rng.normal(0, 0.05, size=n)
    lon = np.array([p.lon for p in places])[loc] + rng.normal(0, 0.05, size=n)
    no_coords = rng.random(n) < 0.1
    lat = np.where(no_coords, np.nan, np.round(lat, 4))
    lon = np.where(no_coords, np.nan, np.round(lon, 4))
    alias_draw = rng.random(n)
    company = rng.random(n) < 0.35

    p_iso = _strs([p.iso for p in places])
    p_country = _strs([COUNTRY_NAMES[p.iso] for p in places])
    p_province = _strs([p.province for p in places])
    p_province_zh = _strs([p.province_zh or p.province for p in places])
    p_city = _strs([p.city for p in places])
    p_city_zh = _strs([p.city_zh or p.city for p in places])
    p_short = _strs([p.short or p.city for p in places])
    p_short_zh = _strs([p.short_zh for p in places])
    p_post = _strs([p.postcode for p in places])
    p_admin = _strs([p.admin for p in places])
    p_legal = _strs([LEGAL_FORMS[p.iso] for p in places])
    b_zh = _strs([z for z, _ in CN_BRANDS])
    b_py = _strs([y for _, y in CN_BRANDS])
    b_intl = _strs(INTL_BRANDS)
    ind_en = _strs(INDUSTRY_EN)
    ind_zh = _strs(INDUSTRY_ZH)
    st_zh = _strs([z for z, _ in STREETS])
    st_py = _strs([y for _, y in STREETS])
    st_intl = _strs(INTL_STREETS)
    roles = _strs(ROLES)
    xj_prov = _strs(XJ_PROVINCES)

    def build(s: slice) -> dict[str, pa.Array]:
        at = loc[s]
        zh, cn, x = zh_style[s], is_cn[s], xj[s]

        def pick(pool: pa.Array, idx: np.ndarray = at) -> pa.Array:
            return _take(pool, idx)

        prefix_zh = _where(xj_prefix[s], "新疆", pick(p_short_zh))
        name_zh = _join(prefix_zh, pick(b_zh, brand_cn[s]), pick(ind_zh, industry[s]), "有限公司")
        name_cn = _join(
            pick(p_short), pick(b_py, brand_cn[s]), pick(ind_en, industry[s]), "Co., Ltd.", sep=" "
        )
        name_intl = _join(
            pick(b_intl, brand_intl[s]), pick(ind_en, industry[s]), pick(p_legal), sep=" "
        )
        name = _where(zh, name_zh, _where(cn, name_cn, name_intl))
        short_cn = _join(pick(b_py, brand_cn[s]), pick(ind_en, industry[s]), sep=" ")
        short_intl = _join(pick(b_intl, brand_intl[s]), pick(ind_en, industry[s]), sep=" ")
        a = alias_draw[s]
        alias_zh = _where(
            a < 0.45, name_cn, _where(a < 0.65, _join(name_cn, short_cn, sep=";"), None)
        )
        alias_cn = _where(a < 0.3, name_zh, None)
        alias_intl = _where(a < 0.15, short_intl, None)
        aliases = _where(zh, alias_zh, _where(cn, alias_cn, alias_intl))
        comp = _where(
            zh,
            _join(pick(b_zh, brand_cn[s]), "集团有限公司"),
            _where(
                cn,
                _join(pick(b_py, brand_cn[s]), "Group Co., Ltd.", sep=" "),
                _join(pick(b_intl, brand_intl[s]), "Group", sep=" "),
            ),
        )
        province = _where(zh, pick(p_province_zh), pick(p_province))
        province = _where(x, pick(xj_prov, province_var[s]), province)
        house_s = pc.cast(pa.array(house[s]), pa.string())
        addr_zh = _join(pick(st_zh, street[s]), "路", house_s, "号")
        addr_cn = _join("No.", house_s, pick(st_py, street[s]), "Road", sep=" ")
        addr_intl = _join(house_s, pick(st_intl, street_intl[s]), "Road", sep=" ")
        return {
            "facility_id": ids.slice(s.start, s.stop - s.start),
            "name": name,
            "role": pick(roles, g.role[s]),
            "country": _where(country_name[s], pick(p_country), pick(p_iso)),
            "province": _where(no_province[s], None, province),
            "city": _where(zh, pick(p_city_zh), pick(p_city)),
            "address": _where(
                no_address[s], None, _where(zh, addr_zh, _where(cn, addr_cn, addr_intl))
            ),
            "postal_code": _where(no_postcode[s], None, pick(p_post)),
            "admin_code": _where(admin[s], pick(p_admin), None),
            "latitude": _numbers(lat[s]),
            "longitude": _numbers(lon[s]),
            "aliases": aliases,
            "company": _where(company[s], comp, None),
        }

    writer.write_all(n, build)
    return xj


def _facility_ids(g: _Graph) -> pa.Array:
    n = g.n_facilities
    number_in_role = np.arange(n) - g.starts[g.role] + 1
    return _join(
        "FAC-", _take(_strs(ROLE_CODES), g.role), "-", _padded(number_in_role, _width(max(g.sizes)))
    )


def _supplies(g: _Graph, ids: pa.Array, rng: np.random.Generator, writer: _Writer) -> None:
    m = len(g.supplier)
    sup_role = g.role[g.supplier]
    lot = np.where(g.back, BACK_LOT_KG, np.array(LOT_KG)[sup_role])
    kg = rng.gamma(GAMMA_SHAPE, 1.0, size=m) * lot / GAMMA_SHAPE
    probs = np.array([u[2] for u in UNITS])
    unit = rng.choice(len(UNITS), size=m, p=probs / probs.sum())
    volume = np.empty(m)
    for i, (_, factor, _, decimals, floor) in enumerate(UNITS):
        sel = unit == i
        volume[sel] = np.maximum(np.round(kg[sel] / factor, decimals), floor)
    # A few buyers miss some volumes (their inbound weights become equal: "estimated").
    buyers = np.unique(g.buyer)
    vague = rng.choice(buyers, size=max(1, round(NO_VOLUME_BUYERS * len(buyers))), replace=False)
    in_vague = np.isin(g.buyer, vague)
    first_row = np.r_[True, g.buyer[1:] != g.buyer[:-1]]
    no_volume = in_vague & (first_row | (rng.random(m) < 0.5))
    volume[no_volume] = np.nan
    # Validity ranges: expired, current, open-ended and until-only.
    start = np.full(m, -1, dtype=np.int64)
    end = np.full(m, -1, dtype=np.int64)
    dated = np.flatnonzero(rng.random(m) < DATED_SUPPLIES)
    if len(dated) == 0 and m:
        dated = np.array([0])
    kind = rng.integers(0, 4, size=len(dated))
    kind[0] = 0  # at least one expired range, so that --as-of matters
    begin = np.where(
        kind == 0,
        _day("2019-01-01") + rng.integers(0, 3 * 365, len(dated)),
        _day("2022-01-01") + rng.integers(0, 3 * 365, len(dated)),
    )
    length = np.where(
        kind == 0, rng.integers(60, 540, len(dated)), rng.integers(365, 4 * 365, len(dated))
    )
    start[dated] = np.where(kind == 3, -1, begin)
    end[dated] = np.where(kind == 2, -1, begin + length)
    # References: PO/invoice/lot numbers, a few missing.
    year = np.where(
        start >= 0, 1970 + (start // 365.25).astype(np.int64), rng.integers(2019, 2025, size=m)
    )
    doc = rng.choice(4, size=m, p=[0.82, 0.1, 0.05, 0.03])
    docs = _strs(("PO", "INV", "LOT", ""))
    materials = _strs((*MATERIALS, BACK_MATERIAL))
    material_idx = np.where(g.back, len(MATERIALS), sup_role)
    units = _strs([u[0] for u in UNITS])
    width = _width(m)

    def build(s: slice) -> dict[str, pa.Array]:
        ref = _join(
            _take(docs, doc[s]),
            pc.cast(pa.array(year[s]), pa.string()),
            _padded(np.arange(s.start + 1, s.stop + 1), width),
            sep="-",
        )
        return {
            "supplier_id": _take(ids, g.supplier[s]),
            "buyer_id": _take(ids, g.buyer[s]),
            "material": _take(materials, material_idx[s]),
            "volume": _numbers(volume[s]),
            "unit": _where(no_volume[s], None, _take(units, unit[s])),
            "valid_from": _dates(start[s]),
            "valid_to": _dates(end[s]),
            "reference": _where(doc[s] == 3, None, ref),
        }

    writer.write_all(m, build)


def _products(
    g: _Graph, ids: pa.Array, rng: np.random.Generator, writer: _Writer
) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Write products.csv; return made_at and product type of each SKU, and the SKU ids."""
    n = g.n_skus
    made_at = _Zipf(int(g.starts[GARMENT]), g.sizes[GARMENT], rng).draw(n, rng)
    style = rng.integers(len(PRODUCT_STYLES), size=n)
    kind = rng.integers(len(PRODUCT_TYPES), size=n)
    colour = rng.integers(len(COLOURS), size=n)
    skus = _join("SKU-", _padded(np.arange(1, n + 1), _width(n)))
    styles, kinds, colours = _strs(PRODUCT_STYLES), _strs(PRODUCT_TYPES), _strs(COLOURS)

    def build(s: slice) -> dict[str, pa.Array]:
        return {
            "sku": skus.slice(s.start, s.stop - s.start),
            "name": _join(
                _take(styles, style[s]),
                _take(kinds, kind[s]),
                _take(colours, colour[s]),
                sep=" ",
            ),
            "made_at": _take(ids, made_at[s]),
        }

    writer.write_all(n, build)
    return made_at, kind, skus


def _bom(
    g: _Graph,
    ids: pa.Array,
    skus: pa.Array,
    made_at: np.ndarray,
    kind: np.ndarray,
    rng: np.random.Generator,
    writer: _Writer,
) -> None:
    n = g.n_skus
    rows = 1 + rng.poisson(BOM_FAN_IN - 1.0, size=n)
    rows[rng.random(n) < NO_BOM_PRODUCTS] = 0
    rows[0] = max(rows[0], 1)
    sku = np.repeat(np.arange(n), rows)
    m = len(sku)
    first = np.zeros(m, dtype=bool)
    first[(np.cumsum(rows) - rows)[rows > 0]] = True
    # Row kinds: 0 main fabric, 1 second fabric, 2 trim, 3 sub-assembly.
    draw = rng.random(m)
    row_kind = np.where(draw < SUBASSEMBLY_SHARE, 3, np.where(draw < 0.45, 1, 2))
    row_kind[(row_kind == 3) & (sku == 0)] = 2
    row_kind[first] = 0
    trim = rng.integers(len(TRIMS), size=m)
    second = rng.integers(len(SECOND_FABRICS), size=m)
    # A supplier the garment maker buys from (sorted by buyer), or empty.
    indptr = np.concatenate([[0], np.cumsum(np.bincount(g.buyer, minlength=g.n_facilities))])
    maker = made_at[sku]
    deg = np.diff(indptr)[maker]
    pick = indptr[maker] + np.floor(rng.random(m) * np.maximum(deg, 1)).astype(np.int64)
    supplier = g.supplier[np.minimum(pick, len(g.supplier) - 1)]
    has_supplier = (deg > 0) & (row_kind <= 1) & (rng.random(m) < 0.8)
    has_supplier[(row_kind == 2) & (rng.random(m) < 0.1) & (deg > 0)] = True
    sub = np.floor(rng.random(m) * sku).astype(np.int64)  # a lower-numbered product: acyclic
    # Quantities: fabrics in kg or g, trims in m/pcs with mass_kg, sub-assemblies in pcs.
    fabric_kg = np.round(0.05 + rng.gamma(2.0, 0.15, size=m), 3)
    in_grams = rng.random(m) < 0.3
    trim_unit = np.array([t[1] for t in TRIMS])
    trim_kg = np.array([t[2] for t in TRIMS])
    trim_max = np.array([t[3] for t in TRIMS])
    trim_qty = 1 + np.floor(rng.random(m) * trim_max[trim]).astype(np.int64)
    sub_qty = rng.integers(1, 3, size=m)
    sub_kg = np.round(rng.uniform(0.05, 0.5, size=m), 3)
    is_fabric = row_kind <= 1
    quantity = np.where(
        is_fabric,
        np.where(in_grams, np.round(fabric_kg * 1000), fabric_kg),
        np.where(row_kind == 2, trim_qty, sub_qty),
    ).astype(np.float64)
    mass = np.where(
        row_kind == 2,
        np.maximum(np.round(trim_qty * trim_kg[trim], 4), 0.0001),
        np.where(row_kind == 3, sub_qty * sub_kg, np.nan),
    )
    unit_names = ["kg", "g", "pcs", *sorted(set(trim_unit.tolist()) - {"pcs"})]
    unit_idx = {u: i for i, u in enumerate(unit_names)}
    unit = np.where(
        is_fabric,
        np.where(in_grams, 1, 0),
        np.where(row_kind == 3, 2, np.array([unit_idx[u] for u in trim_unit])[trim]),
    )
    units = _strs(unit_names)
    fabrics = _strs(PRODUCT_FABRICS)
    seconds = _strs(SECOND_FABRICS)
    trims = _strs([t[0] for t in TRIMS])

    def build(s: slice) -> dict[str, pa.Array]:
        k = row_kind[s]
        component = _where(
            k == 0,
            _take(fabrics, kind[sku[s]]),
            _where(
                k == 1,
                _take(seconds, second[s]),
                _where(k == 2, _take(trims, trim[s]), _take(skus, sub[s])),
            ),
        )
        return {
            "sku": _take(skus, sku[s]),
            "component": component,
            "quantity": _numbers(quantity[s]),
            "unit": _take(units, unit[s]),
            "supplier_id": _where(has_supplier[s], _take(ids, supplier[s]), None),
            "mass_kg": _numbers(mass[s]),
        }

    writer.write_all(m, build)


def _flags(
    g: _Graph, xj: np.ndarray, ids: pa.Array, rng: np.random.Generator, writer: _Writer
) -> None:
    mid = np.flatnonzero((g.role >= SPINNER) & (g.role <= DYEHOUSE) & ~xj)
    k = min(len(mid), max(2, min(50, round(g.n_facilities * 1e-4))))
    chosen = np.sort(rng.choice(mid, size=k, replace=False))
    reasons = rng.integers(len(FLAG_REASONS), size=k)
    cols = {"facility_id": _take(ids, chosen), "reason": _take(_strs(FLAG_REASONS), reasons)}
    writer.write_all(k, lambda s: {c: a.slice(s.start, s.stop - s.start) for c, a in cols.items()})


# --- entry point -------------------------------------------------------------------------------


def generate(
    out_dir: str | Path,
    links: int,
    seed: int = 0,
    *,
    xinjiang_share: float = 0.05,
    back_edges: float = 0.001,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write a synthetic supply-chain dataset with about ``links`` supply rows to ``out_dir``.

    Returns the number of data rows written per file stem (``facilities``, ``supplies``,
    ``products``, ``bom``, ``flags``). ``xinjiang_share`` is the share of origins (farms and
    gins) located in Xinjiang; ``back_edges`` the share of ``links`` that are back-edges
    (recycling, closing cycles). ``progress`` is called with the running number of rows written.
    The same ``links``, ``seed`` and options always give byte-identical files.
    """
    if links < 1:
        raise ValueError(f"links must be at least 1, got {links}")
    if not 0.0 <= xinjiang_share <= 1.0:
        raise ValueError(f"xinjiang_share must be within [0, 1], got {xinjiang_share}")
    if not 0.0 <= back_edges < 0.5:
        raise ValueError(f"back_edges must be within [0, 0.5), got {back_edges}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    g = _calibrated_graph(int(links), float(back_edges), int(seed))
    # Attributes come from a second stream, so they never change the graph's shape.
    rng = np.random.default_rng([int(seed), 1])
    done = [0]
    counts: dict[str, int] = {}

    def writer(table: str, quoted: Sequence[str] = ()) -> _Writer:
        return _Writer(out / f"{table}.csv", table, quoted, progress, done)

    ids = _facility_ids(g)
    w = writer("facilities", ("name", "address", "aliases", "company"))
    xj = _facilities(g, ids, xinjiang_share, rng, w)
    counts["facilities"] = w.close()
    w = writer("supplies")
    _supplies(g, ids, rng, w)
    counts["supplies"] = w.close()
    w = writer("products")
    made_at, kind, skus = _products(g, ids, rng, w)
    counts["products"] = w.close()
    w = writer("bom")
    _bom(g, ids, skus, made_at, kind, rng, w)
    counts["bom"] = w.close()
    w = writer("flags")
    _flags(g, xj, ids, rng, w)
    counts["flags"] = w.close()
    return counts
