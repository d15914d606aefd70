"""Chinese cities that demo users live in and travel to.

Coordinates are approximate city centres (WGS-84 degrees) and weights are rough
relative population shares, both written from general knowledge. They only need
to look plausible on a map, not to match any official statistics.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    """A home city or travel destination of demo users."""

    name: str  # as the app writes location.area, e.g. "上海市"
    province: str  # short name as the app writes ipLocation, e.g. "上海", "广东"
    lng: float
    lat: float
    weight: float  # relative share of users living there
    landmark: str = ""  # sight named in travel posts, or empty for cities that are no destination


CITIES: tuple[City, ...] = (
    City("北京市", "北京", 116.407, 39.904, 10.0, "故宫"),
    City("上海市", "上海", 121.474, 31.230, 10.0, "外滩"),
    City("天津市", "天津", 117.201, 39.085, 5.0, "天津之眼"),
    City("重庆市", "重庆", 106.551, 29.563, 7.0, "洪崖洞"),
    City("广州市", "广东", 113.264, 23.129, 9.0, "广州塔"),
    City("深圳市", "广东", 114.058, 22.543, 9.0),
    City("东莞市", "广东", 113.752, 23.021, 4.0),
    City("佛山市", "广东", 113.122, 23.029, 4.0),
    City("珠海市", "广东", 113.577, 22.271, 2.0, "情侣路"),
    City("杭州市", "浙江", 120.155, 30.274, 7.0, "西湖"),
    City("宁波市", "浙江", 121.550, 29.874, 4.0),
    City("温州市", "浙江", 120.699, 27.994, 3.0),
    City("南京市", "江苏", 118.797, 32.060, 6.0, "夫子庙"),
    City("苏州市", "江苏", 120.585, 31.299, 6.0, "拙政园"),
    City("无锡市", "江苏", 120.312, 31.491, 3.0),
    City("成都市", "四川", 104.066, 30.573, 8.0, "宽窄巷子"),
    City("武汉市", "湖北", 114.305, 30.593, 7.0, "黄鹤楼"),
    City("宜昌市", "湖北", 111.286, 30.692, 1.5),
    City("长沙市", "湖南", 112.939, 28.228, 5.0, "橘子洲"),
    City("西安市", "陕西", 108.940, 34.341, 6.0, "兵马俑"),
    City("郑州市", "河南", 113.625, 34.747, 6.0),
    City("洛阳市", "河南", 112.454, 34.620, 2.0, "龙门石窟"),
    City("济南市", "山东", 117.121, 36.651, 4.0),
    City("青岛市", "山东", 120.383, 36.067, 5.0, "栈桥"),
    City("烟台市", "山东", 121.448, 37.464, 2.0),
    City("合肥市", "安徽", 117.227, 31.821, 4.0),
    City("黄山市", "安徽", 118.338, 29.715, 0.5, "黄山"),
    City("福州市", "福建", 119.296, 26.074, 3.0),
    City("厦门市", "福建", 118.089, 24.480, 3.0, "鼓浪屿"),
    City("泉州市", "福建", 118.676, 24.874, 3.0),
    City("南昌市", "江西", 115.858, 28.683, 3.0),
    City("昆明市", "云南", 102.833, 24.880, 4.0, "滇池"),
    City("大理市", "云南", 100.268, 25.606, 0.5, "洱海"),
    City("贵阳市", "贵州", 106.630, 26.647, 3.0),
    City("南宁市", "广西", 108.366, 22.817, 3.0),
    City("桂林市", "广西", 110.290, 25.274, 1.5, "漓江"),
    City("海口市", "海南", 110.199, 20.044, 1.5),
    City("三亚市", "海南", 109.512, 18.252, 1.0, "亚龙湾"),
    City("沈阳市", "辽宁", 123.431, 41.806, 4.0),
    City("大连市", "辽宁", 121.615, 38.914, 3.0, "星海广场"),
    City("长春市", "吉林", 125.324, 43.817, 3.0),
    City("哈尔滨市", "黑龙江", 126.535, 45.803, 4.0, "中央大街"),
    City("石家庄市", "河北", 114.515, 38.042, 4.0),
    City("太原市", "山西", 112.549, 37.871, 3.0),
    City("呼和浩特市", "内蒙古", 111.749, 40.842, 2.0),
    City("兰州市", "甘肃", 103.834, 36.061, 2.0),
    City("银川市", "宁夏", 106.231, 38.487, 1.0),
    City("西宁市", "青海", 101.778, 36.617, 1.0, "青海湖"),
    City("乌鲁木齐市", "新疆", 87.617, 43.826, 2.0, "天山天池"),
    City("拉萨市", "西藏", 91.117, 29.647, 0.5, "布达拉宫"),
)

# Province short names in first-appearance order of CITIES, so indices are stable.
PROVINCES: tuple[str, ...] = tuple(dict.fromkeys(city.province for city in CITIES))


def short_city_name(city: City) -> str:
    """Return the name without the trailing 市, as people write it in posts ("上海")."""
    return city.name.removesuffix("市")
