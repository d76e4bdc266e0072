"""Xinjiang gazetteer: the names and codes that place a facility in the XUAR.

Data only, plus the lookup tables derived from it; the rules that use them live in
:func:`graphtrace.screen.xinjiang_evidence`. Sources: GB/T 2260 / NBS 2023 division codes, the
national county postcode table and the traps listed in ``shared/notes/domain.md`` section 3.

Three kinds of names are kept apart:

- **Chinese names** (:data:`CHINESE_NAMES`): matched at the start of a province, city or address
  field, so "喀什市", "喀什地区" and "新疆喀什" all match while "上海市和田路" does not.
  Bare names that also name places or things outside Xinjiang (:data:`AMBIGUOUS_CHINESE`) count
  only in their suffixed official form ("温泉县", never "温泉").
- **Latin names** (:data:`LATIN_NAMES`): English and pinyin spellings, diacritics and case
  folded ("Ürümqi", "URUMQI", "Wu Lu Mu Qi" are one key). They are used only for facilities in
  China, and not at all for the spellings in :data:`AMBIGUOUS_LATIN` ("Bazhou" is also 霸州 in
  Hebei).
- **Province spellings** (:data:`PROVINCE_LATIN`, :data:`PROVINCE_CHINESE`) and the XPCC
  ("Bingtuan") names.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

#: GB/T 2260 code of the Xinjiang Uyghur Autonomous Region: every code starting with it is XUAR.
PROVINCE_CODE = "65"


@dataclass(frozen=True)
class Place:
    """A prefecture, XPCC city or county of Xinjiang."""

    code: str  # GB/T 2260 code (4 digits for prefectures, 6 for cities and counties)
    chinese: str  # official Chinese name
    label: str  # how messages name it

    def describe(self) -> str:
        """``"Kashgar prefecture, 6531"``: the words used in a screening reason."""
        return f"{self.label}, {self.code}"


# --------------------------------------------------------------------------------------------
# Prefectures: code, official Chinese name, English label, extra Chinese forms, Latin spellings.
# The bare name (official name minus its suffix) is derived; extra forms are short names.
PREFECTURES: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "6501",
        "乌鲁木齐市",
        "Ürümqi",
        ("乌鲁木齐",),
        ("Urumqi", "Ürümqi", "Urumchi", "Ürümchi", "Wulumuqi", "Urumchi"),
    ),
    ("6502", "克拉玛依市", "Karamay", ("克拉玛依",), ("Karamay", "Qaramay", "Kelamayi")),
    ("6504", "吐鲁番市", "Turpan", ("吐鲁番", "吐鲁番地区"), ("Turpan", "Turfan", "Tulufan")),
    ("6505", "哈密市", "Hami", ("哈密", "哈密地区"), ("Hami", "Kumul", "Qumul")),
    ("6523", "昌吉回族自治州", "Changji prefecture", ("昌吉", "昌吉州"), ("Changji",)),
    (
        "6527",
        "博尔塔拉蒙古自治州",
        "Bortala prefecture",
        ("博尔塔拉", "博州"),
        ("Bortala", "Börtala", "Boertala", "Boertala Menggu"),
    ),
    (
        "6528",
        "巴音郭楞蒙古自治州",
        "Bayingolin prefecture",
        ("巴音郭楞", "巴州"),
        ("Bayingolin", "Bayin'gholin", "Bayingholin", "Bayinguoleng", "Bayinguoleng Menggu"),
    ),
    ("6529", "阿克苏地区", "Aksu prefecture", ("阿克苏",), ("Aksu", "Aqsu", "Akesu")),
    (
        "6530",
        "克孜勒苏柯尔克孜自治州",
        "Kizilsu prefecture",
        ("克孜勒苏", "克州"),
        ("Kizilsu", "Qizilsu", "Kezilesu", "Kezilesu Keerkezi"),
    ),
    (
        "6531",
        "喀什地区",
        "Kashgar prefecture",
        ("喀什",),
        ("Kashgar", "Kashi", "Kaxgar", "Qeshqer", "Kashkar"),
    ),
    ("6532", "和田地区", "Hotan prefecture", ("和田",), ("Hotan", "Hetian", "Khotan")),
    (
        "6540",
        "伊犁哈萨克自治州",
        "Ili prefecture",
        ("伊犁", "伊犁州"),
        ("Ili", "Yili", "Yili Hasake"),
    ),
    (
        "6542",
        "塔城地区",
        "Tacheng prefecture",
        ("塔城",),
        ("Tacheng", "Tarbagatay", "Chuguchak", "Qoqek"),
    ),
    ("6543", "阿勒泰地区", "Altay prefecture", ("阿勒泰",), ("Altay", "Altai", "Aletai")),
)

#: XPCC (Bingtuan) cities, directly under the region: code, Chinese name, label, Latin spellings.
XPCC_CITIES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("659001", "石河子市", "Shihezi, XPCC 8th Division", ("Shihezi",)),
    ("659002", "阿拉尔市", "Alaer, XPCC 1st Division", ("Alaer", "Aral", "Ara'er")),
    ("659003", "图木舒克市", "Tumxuk, XPCC 3rd Division", ("Tumxuk", "Tumushuke")),
    ("659004", "五家渠市", "Wujiaqu, XPCC 6th Division", ("Wujiaqu",)),
    ("659005", "北屯市", "Beitun, XPCC 10th Division", ("Beitun",)),
    ("659006", "铁门关市", "Tiemenguan, XPCC 2nd Division", ("Tiemenguan",)),
    ("659007", "双河市", "Shuanghe, XPCC 5th Division", ("Shuanghe",)),
    ("659008", "可克达拉市", "Kokdala, XPCC 4th Division", ("Kokdala", "Kekedala")),
    ("659009", "昆玉市", "Kunyu, XPCC 14th Division", ("Kunyu",)),
    ("659010", "胡杨河市", "Huyanghe, XPCC 7th Division", ("Huyanghe",)),
    ("659011", "新星市", "Xinxing, XPCC 13th Division", ("Xinxing",)),
    ("659012", "白杨市", "Baiyang, XPCC 9th Division", ("Baiyang",)),
)

#: Counties and county-level cities (NBS 2023): code, official Chinese name, Latin spellings.
#: Autonomous counties are given by their short name (巴里坤 = 巴里坤哈萨克自治县); longer forms
#: match too because Chinese names match as prefixes. Latin spellings are listed only where they
#: are distinctive; pinyin shared with places elsewhere in China is in AMBIGUOUS_LATIN.
COUNTIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # 6501 Ürümqi
    ("650102", "天山区", ()),
    ("650103", "沙依巴克区", ("Saybagh", "Shayibake")),
    ("650104", "新市区", ()),
    ("650105", "水磨沟区", ("Shuimogou",)),
    ("650106", "头屯河区", ("Toutunhe",)),
    ("650107", "达坂城区", ("Dabancheng",)),
    ("650109", "米东区", ("Midong",)),
    ("650121", "乌鲁木齐县", ()),
    # 6502 Karamay
    ("650202", "独山子区", ("Dushanzi",)),
    ("650203", "克拉玛依区", ()),
    ("650204", "白碱滩区", ("Baijiantan",)),
    ("650205", "乌尔禾区", ("Urho", "Wuerhe")),
    # 6504 Turpan
    ("650402", "高昌区", ()),
    ("650421", "鄯善县", ("Piqan", "Pichan")),
    ("650422", "托克逊县", ("Toksun", "Tuokexun")),
    # 6505 Hami
    ("650502", "伊州区", ()),
    ("650521", "巴里坤", ("Barkol", "Balikun")),
    ("650522", "伊吾县", ()),
    # 6523 Changji
    ("652301", "昌吉市", ()),
    ("652302", "阜康市", ("Fukang",)),
    ("652323", "呼图壁县", ("Hutubi",)),
    ("652324", "玛纳斯县", ("Manas", "Manasi")),
    ("652325", "奇台县", ("Qitai",)),
    ("652327", "吉木萨尔县", ("Jimsar", "Jimusaer")),
    ("652328", "木垒", ("Mulei",)),
    # 6527 Bortala
    ("652701", "博乐市", ("Bole", "Bortala City")),
    ("652702", "阿拉山口市", ("Alashankou", "Alataw Pass")),
    ("652722", "精河县", ()),
    ("652723", "温泉县", ()),
    # 6528 Bayingolin
    ("652801", "库尔勒市", ("Korla", "Kuerle")),
    ("652822", "轮台县", ("Bugur", "Luntai")),
    ("652823", "尉犁县", ("Lopnur",)),
    ("652824", "若羌县", ("Charkhlik", "Ruoqiang")),
    ("652825", "且末县", ("Cherchen", "Qiemo")),
    ("652826", "焉耆", ("Karashahr", "Yanqi")),
    ("652827", "和静县", ("Hejing",)),
    ("652828", "和硕县", ()),
    ("652829", "博湖县", ("Bohu", "Bagrax")),
    # 6529 Aksu
    ("652901", "阿克苏市", ()),
    ("652902", "库车市", ("Kuqa", "Kuche", "Kucha")),
    ("652922", "温宿县", ("Wensu", "Onsu")),
    ("652924", "沙雅县", ("Shaya", "Shayar")),
    ("652925", "新和县", ("Toksu",)),
    ("652926", "拜城县", ()),
    ("652927", "乌什县", ("Uqturpan",)),
    ("652928", "阿瓦提县", ("Awat", "Awati")),
    ("652929", "柯坪县", ("Kalpin", "Keping")),
    # 6530 Kizilsu
    ("653001", "阿图什市", ("Artux", "Artush", "Atushi")),
    ("653022", "阿克陶县", ("Akto", "Aketao")),
    ("653023", "阿合奇县", ("Akqi", "Aheqi")),
    ("653024", "乌恰县", ("Ulugqat", "Wuqia")),
    # 6531 Kashgar
    ("653101", "喀什市", ()),
    ("653121", "疏附县", ("Shufu", "Kona Xahar")),
    ("653122", "疏勒县", ("Shule", "Yengixahar")),
    ("653123", "英吉沙县", ("Yengisar", "Yingjisha")),
    ("653124", "泽普县", ("Poskam", "Zepu")),
    ("653125", "莎车县", ("Yarkant", "Yarkand", "Shache")),
    ("653126", "叶城县", ("Kargilik", "Karghilik", "Yecheng")),
    ("653127", "麦盖提县", ("Makit", "Maigaiti")),
    ("653128", "岳普湖县", ("Yopurga", "Yuepuhu")),
    ("653129", "伽师县", ("Peyziwat", "Payzawat")),
    ("653130", "巴楚县", ("Maralbexi", "Maralbeshi")),
    ("653131", "塔什库尔干", ("Tashkurgan", "Taxkorgan", "Tashikuergan")),
    # 6532 Hotan
    ("653201", "和田市", ()),
    ("653221", "和田县", ()),
    ("653222", "墨玉县", ("Karakax", "Qaraqash")),
    ("653223", "皮山县", ("Guma", "Pishan")),
    ("653224", "洛浦县", ("Lop County", "Luopu")),
    ("653225", "策勒县", ("Qira", "Cele", "Chira")),
    ("653226", "于田县", ("Keriya",)),
    ("653227", "民丰县", ("Niya",)),
    # 6540 Ili
    ("654002", "伊宁市", ("Yining", "Ghulja", "Gulja", "Kulja", "Kuldja")),
    ("654003", "奎屯市", ("Kuytun", "Kuitun")),
    ("654004", "霍尔果斯市", ("Horgos", "Khorgos", "Korgas", "Huoerguosi")),
    ("654021", "伊宁县", ()),
    ("654022", "察布查尔", ("Qapqal", "Chabuchaer")),
    ("654023", "霍城县", ("Huocheng",)),
    ("654024", "巩留县", ("Tokkuztara", "Gongliu")),
    ("654025", "新源县", ("Künes", "Kunes")),
    ("654026", "昭苏县", ("Mongolkure", "Zhaosu")),
    ("654027", "特克斯县", ("Tekes", "Tekesi")),
    ("654028", "尼勒克县", ("Nilka", "Nileke")),
    # 6542 Tacheng
    ("654201", "塔城市", ()),
    ("654202", "乌苏市", ("Wusu", "Shixo")),
    ("654203", "沙湾市", ()),
    ("654221", "额敏县", ("Dorbiljin", "Emin")),
    ("654224", "托里县", ()),
    ("654225", "裕民县", ("Qagantokay",)),
    ("654226", "和布克赛尔", ("Hoboksar", "Hebukesaier")),
    # 6543 Altay
    ("654301", "阿勒泰市", ()),
    ("654321", "布尔津县", ("Burqin", "Buerjin")),
    ("654322", "富蕴县", ("Koktokay", "Fuyun")),
    ("654323", "福海县", ("Burultokay",)),
    ("654324", "哈巴河县", ("Kaba", "Habahe")),
    ("654325", "青河县", ("Qinggil",)),
    ("654326", "吉木乃县", ("Jeminay", "Jimunai")),
)

#: Codes and names no longer current but still seen in supplier records (NBS 2023 vs older
#: tables): code -> (Chinese name, what it became).
OLD_CODES: dict[str, tuple[str, str]] = {
    "652100": ("吐鲁番地区", "now Turpan, 6504"),
    "652101": ("吐鲁番市 (county-level)", "now 高昌区, 650402"),
    "652122": ("鄯善县", "now 650421"),
    "652123": ("托克逊县", "now 650422"),
    "652200": ("哈密地区", "now Hami, 6505"),
    "652201": ("哈密市 (county-level)", "now 伊州区, 650502"),
    "652222": ("巴里坤哈萨克自治县", "now 650521"),
    "652223": ("伊吾县", "now 650522"),
    "652923": ("库车县", "now 库车市, 652902"),
    "654223": ("沙湾县", "now 沙湾市, 654203"),
}
#: Old names matched like current ones (name -> current code).
OLD_NAMES: dict[str, str] = {
    "吐鲁番地区": "6504",
    "哈密地区": "6505",
    "库车县": "652902",
    "沙湾县": "654203",
}

#: Bare Chinese names that also name places or things outside Xinjiang: they count only in the
#: official suffixed form (温泉县, 沙湾市), or as part of a longer Xinjiang name.
AMBIGUOUS_CHINESE: dict[str, str] = {
    "天山": "天山路 in Shanghai; the mountain range; a common company name",
    "新市": "新市镇 towns all over China",
    "新市区": "also a former district of Baoding (Hebei), renamed 2015",
    "高昌": "historic kingdom name used widely",
    "伊州": "common historic name",
    "温泉": "温泉 means hot spring (温泉镇 everywhere; Japanese 温泉)",
    "精河": "river names elsewhere",
    "和静": "common given name",
    "和硕": "和硕 (Pegatron) is a Taiwanese electronics maker",
    "新和": "common company name; 新河县 (Hebei)",
    "巴楚": "巴楚文化, the Ba-Chu region of Sichuan and Hubei",
    "墨玉": "墨玉 means black jade",
    "洛浦": "洛浦街道 in Panyu, Guangzhou",
    "民丰": "民丰路 and 民丰 companies all over China",
    "乌苏": "乌苏里江 (Ussuri river); 乌苏 beer is sold everywhere",
    "沙湾": "沙湾区 (Leshan, Sichuan); 沙湾 in Panyu, Guangzhou",
    "托里": "common transliteration",
    "裕民": "裕民路 and 裕民 companies all over China",
    "福海": "common place and company name",
    "青河": "青河 towns elsewhere (and 清河)",
    "新源": "common company name",
    "米东": "short, generic",
    "水磨沟": "水磨沟 villages elsewhere",
    "北屯": "北屯区 in Taichung (Taiwan)",
    "双河": "双河 towns in 15+ provinces",
    "白杨": "白杨 subdistricts in Hangzhou and elsewhere",
    "新星": "新星 means new star; 新兴县 (Guangdong) is also Xinxing",
    "昆玉": "昆玉河 in Beijing",
}
#: Extra characters that must not follow a name, per name ("哈密瓜" is a melon, 巴州区 is in
#: Bazhong, Sichuan).
NOT_FOLLOWED_BY: dict[str, tuple[str, ...]] = {
    "哈密": ("瓜",),
    "巴州": ("区", "镇"),
    "博州": ("区",),
}

#: Latin spellings that also name places outside Xinjiang, so they never count on their own.
AMBIGUOUS_LATIN: dict[str, str] = {
    "Bazhou": "霸州 (Hebei) and 巴州区 (Sichuan) are also Bazhou",
    "Xinxing": "新兴县 (Guangdong) is also Xinxing",
    "Shuanghe": "双河 towns in 15+ provinces",
    "Baiyang": "白杨 subdistricts in Hangzhou and elsewhere",
    "Tianshan": "天山 is a common road and company name",
    "Xinshi": "新市 towns all over China",
    "Gaochang": "generic",
    "Yizhou": "宜州 (Guangxi), 易州 and others",
    "Yiwu": "义乌 (Zhejiang) is also Yiwu",
    "Shanshan": "杉杉 (Ningbo Shanshan) and others",
    "Jinghe": "泾河 and other Jinghe places",
    "Wenquan": "温泉 hot-spring towns everywhere",
    "Heshuo": "和硕 (Pegatron)",
    "Xinhe": "新河县 (Hebei) is also Xinhe",
    "Baicheng": "白城 (Jilin) is also Baicheng",
    "Wushi": "generic syllables",
    "Jiashi": "generic syllables",
    "Bachu": "巴楚, the Ba-Chu region",
    "Moyu": "generic syllables",
    "Luopu": "洛浦 in Guangzhou",
    "Yutian": "玉田县 (Hebei) is also Yutian",
    "Minfeng": "民丰 roads and companies everywhere",
    "Xinyuan": "新源, 信源 and other Xinyuan places and companies",
    "Shawan": "沙湾区 (Leshan, Sichuan)",
    "Yumin": "裕民 roads and companies everywhere",
    "Fuhai": "common name",
    "Qinghe": "清河 (Hebei, Liaoning) is also Qinghe",
    "Hejing": "common name",
    "Xinxian": "new county, generic",
    "Shule": "generic syllables",
}

#: Latin spellings of the province, compared after folding (see screen.latin_key) and after
#: dropping the trailing words in PROVINCE_SUFFIX_WORDS ("Xinjiang Uygur Autonomous Region").
PROVINCE_LATIN: tuple[str, ...] = (
    "Xinjiang",
    "Sinkiang",
    "Hsinchiang",
    "XUAR",
    "Xinjiang Uygur Autonomous Region",
    "Xinjiang Uyghur Autonomous Region",
    "Xinjiang Uighur Autonomous Region",
    "Xinjiang Weiwuer Zizhiqu",
    "Xinjiang Province",
    "Xinjiang Sheng",
    "Uyghur Autonomous Region",
    "East Turkestan",
    "East Turkistan",
)
#: Trailing words dropped from a province field before comparing it with PROVINCE_LATIN.
PROVINCE_SUFFIX_WORDS = frozenset(
    {
        "province",
        "sheng",
        "autonomous",
        "region",
        "zizhiqu",
        "ar",
        "sar",
        "municipality",
        "uygur",
        "uyghur",
        "uighur",
        "weiwuer",
        "zhuang",
        "hui",
        "prc",
        "china",
    }
)
#: Trailing words dropped from a city name before comparing it with LATIN_NAMES.
PLACE_SUFFIX_WORDS = frozenset(
    {
        "city",
        "shi",
        "prefecture",
        "diqu",
        "county",
        "xian",
        "district",
        "qu",
        "autonomous",
        "zizhizhou",
        "zizhixian",
        "ap",
        "area",
        "kazakh",
        "hasake",
        "hui",
        "mongol",
        "mongolian",
        "menggu",
        "kyrgyz",
        "kirghiz",
        "keerkezi",
        "zhou",
        "prefectural",
        "level",
    }
)
#: Chinese spellings of the province: a province, city or address field starting with one counts.
PROVINCE_CHINESE: tuple[str, ...] = (
    "新疆维吾尔自治区",
    "新疆维吾尔族自治区",
    "新疆自治区",
    "新疆省",
    "新疆",
)

#: XPCC names matched anywhere in a Chinese field (see screen for the conditions).
XPCC_CHINESE: tuple[str, ...] = ("新疆生产建设兵团", "中国新建集团", "兵团")
#: XPCC names matched as whole words in Latin text.
XPCC_LATIN: tuple[str, ...] = (
    "XPCC",
    "Bingtuan",
    "Xinjiang Production and Construction Corps",
    "Xinjiang Production & Construction Corps",
    "China Xinjian Group",
)
#: Divisions 1-14 in Chinese numerals (第八师, older 农八师).
DIVISION_NUMERALS: tuple[str, ...] = (
    "一",
    "二",
    "三",
    "四",
    "五",
    "六",
    "七",
    "八",
    "九",
    "十",
    "十一",
    "十二",
    "十三",
    "十四",
)

#: Other provincial-level divisions of China (Latin keys after folding, Chinese prefixes): a
#: province field naming one of them keeps Latin city names from placing a facility in Xinjiang.
OTHER_PROVINCES_LATIN: tuple[str, ...] = (
    "Beijing",
    "Tianjin",
    "Hebei",
    "Shanxi",
    "Inner Mongolia",
    "Nei Mongol",
    "Neimenggu",
    "Liaoning",
    "Jilin",
    "Heilongjiang",
    "Shanghai",
    "Jiangsu",
    "Zhejiang",
    "Anhui",
    "Fujian",
    "Jiangxi",
    "Shandong",
    "Henan",
    "Hubei",
    "Hunan",
    "Guangdong",
    "Guangxi",
    "Hainan",
    "Chongqing",
    "Sichuan",
    "Guizhou",
    "Yunnan",
    "Tibet",
    "Xizang",
    "Shaanxi",
    "Gansu",
    "Qinghai",
    "Ningxia",
    "Taiwan",
    "Hong Kong",
    "Macau",
    "Macao",
)
OTHER_PROVINCES_CHINESE: tuple[str, ...] = (
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "台湾",
    "香港",
    "澳门",
)

#: Traps kept here for the tests and the documentation: name -> why it is not Xinjiang.
TRAPS: dict[str, str] = {
    "新绛县": "Shanxi (140825); its pinyin is Xinjiang",
    "霸州": "Hebei (131081); pinyin Bazhou like 巴州",
    "巴州区": "Bazhong, Sichuan",
    "新兴县": "Guangdong; pinyin Xinxing like 新星市",
    "伊利": "Yili dairy (Inner Mongolia), not 伊犁",
    "哈密瓜": "Hami melon, grown anywhere",
}

_CHINESE_SUFFIXES = (
    "维吾尔自治区",
    "蒙古自治州",
    "回族自治州",
    "哈萨克自治州",
    "柯尔克孜自治州",
    "自治州",
    "地区",
    "市",
    "县",
    "区",
    "州",
)


_WORD = re.compile(r"[^\W_]+")
#: Combining diacritical marks (Ü = U + U+0308); kana voicing marks are kept.
_COMBINING = re.compile("[\u0300-\u036f]")


def fold_latin(text: str) -> str:
    """Case, width and diacritics folded: ``"Ürümqi"`` -> ``"urumqi"``."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize("NFKC", _COMBINING.sub("", decomposed))


def latin_words(text: str) -> list[str]:
    """Folded words of a Latin name; apostrophes join ("Bayin'gholin" -> ["bayingholin"])."""
    return _WORD.findall(fold_latin(text).replace("'", "").replace("’", ""))


def strip_words(words: list[str], suffixes: frozenset[str]) -> str:
    """Join ``words`` after dropping trailing ``suffixes`` (never the first word)."""
    end = len(words)
    while end > 1 and words[end - 1] in suffixes:
        end -= 1
    return "".join(words[:end])


def _bare(name: str) -> str:
    for suffix in _CHINESE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@cache
def places() -> dict[str, Place]:
    """Every Xinjiang place by code (prefectures, XPCC cities, counties)."""
    out: dict[str, Place] = {}
    for code, chinese, label, _forms, _latin in PREFECTURES:
        out[code] = Place(code, chinese, label)
    for code, chinese, label, _latin in XPCC_CITIES:
        out[code] = Place(code, chinese, label)
    for code, chinese, _latin in COUNTIES:
        prefecture = out[code[:4]].label
        out[code] = Place(code, chinese, f"{chinese}, {prefecture}")
    return out


@cache
def chinese_names() -> dict[str, Place]:
    """Chinese name -> place, for prefix matching: official names, bare names unless ambiguous,
    short forms (巴州, 伊犁州) and old names."""
    by_code = places()
    out: dict[str, Place] = {}

    def add(name: str, place: Place) -> None:
        if name in AMBIGUOUS_CHINESE or len(name) < 2:
            return
        out.setdefault(name, place)

    # Official names first; then the prefectures' bare and short names, so that "喀什" is the
    # prefecture (6531) while "喀什市" stays the city (653101); then bare county names.
    for code, chinese, _latin in COUNTIES:
        add(chinese, by_code[code])
    for code, chinese, _label, _latin in XPCC_CITIES:
        add(chinese, by_code[code])
    for code, chinese, _label, forms, _latin2 in PREFECTURES:
        add(chinese, by_code[code])
        add(_bare(chinese), by_code[code])
        for form in forms:
            add(form, by_code[code])
    for code, chinese, _label, _latin in XPCC_CITIES:
        add(_bare(chinese), by_code[code])
    for code, chinese, _latin in COUNTIES:
        add(_bare(chinese), by_code[code])
    for name, code in OLD_NAMES.items():
        add(name, by_code[code])
    return out


@cache
def chinese_prefixes() -> dict[str, int]:
    """First two characters of every Chinese name and province spelling -> the longest length
    of a name starting with them (a quick pre-check for prefix matching)."""
    out: dict[str, int] = {}
    for name in (*chinese_names(), *PROVINCE_CHINESE):
        out[name[:2]] = max(out.get(name[:2], 0), len(name))
    return out


@cache
def latin_names() -> dict[str, Place]:
    """Folded Latin spelling -> place (see :func:`latin_words` and PLACE_SUFFIX_WORDS)."""
    by_code = places()
    ambiguous = {strip_words(latin_words(n), PLACE_SUFFIX_WORDS) for n in AMBIGUOUS_LATIN}
    out: dict[str, Place] = {}

    def add(name: str, place: Place) -> None:
        key = strip_words(latin_words(name), PLACE_SUFFIX_WORDS)
        if key and key not in ambiguous:
            out.setdefault(key, place)

    for code, _chinese, _label, _forms, latin in PREFECTURES:
        for name in latin:
            add(name, by_code[code])
    for code, _chinese, _label, latin in XPCC_CITIES:
        for name in latin:
            add(name, by_code[code])
    for code, _chinese, latin in COUNTIES:
        for name in latin:
            add(name, by_code[code])
    return out


@cache
def province_latin_keys() -> frozenset[str]:
    """Folded keys of PROVINCE_LATIN ("xinjiang", "xuar", "sinkiang", "eastturkestan", ...)."""
    return frozenset(strip_words(latin_words(n), PROVINCE_SUFFIX_WORDS) for n in PROVINCE_LATIN)


@cache
def other_province_latin_keys() -> frozenset[str]:
    return frozenset(
        strip_words(latin_words(n), PROVINCE_SUFFIX_WORDS) for n in OTHER_PROVINCES_LATIN
    )


#: Convenience views for documentation and tests.
CHINESE_NAMES = chinese_names
LATIN_NAMES = latin_names
