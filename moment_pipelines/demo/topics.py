"""Topics, templates and word lists that demo moment and comment texts are built from.

Templates use str.format slots. A slot is filled from the topic's own word lists,
then from COMMON_SLOTS, unless the generator supplies it from the moment itself:
{city} is the author's home city, {dest} and {landmark} the travel destination, and
{holiday}, {greeting} and {holiday_food} the holiday nearest to the posting day.

Templates, slot words and filler sentences contain no sentiment words, so that
a moment's sentiment comes only from the phrases in POSITIVE and NEGATIVE lists.
The one exception is the 节日 topic, whose greetings and hashtags ("元旦快乐") contain 快乐.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, eq=False)
class Topic:
    """A subject people post about, with everything needed to write about it."""

    name: str
    weight: float  # share of moments about this topic before user preferences
    picture_rate: float  # probability that a moment on this topic has pictures
    picture_type: int  # moment type of a picture post on this topic (see MOMENT_TYPES)
    positive_rate: float  # share of moments with positive sentiment
    negative_rate: float  # share with negative sentiment, and the rest is neutral
    long_post_rate: float  # share of essay-length moments (12 to 30 sentences)
    templates: tuple[str, ...]
    positive: tuple[str, ...]
    negative: tuple[str, ...]
    hashtags: tuple[str, ...]
    emoji: tuple[str, ...]
    comments: tuple[str, ...]
    slots: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# Meaning of the moment "type" field in the demo data.
MOMENT_TYPES: dict[int, str] = {
    1: "纯文字",
    2: "图文日常",
    3: "美食探店",
    4: "旅行风景",
    5: "萌宠",
}

TEXT_ONLY_TYPE = 1
GENERIC_PICTURE_TYPE = 2

COMMON_SLOTS: dict[str, tuple[str, ...]] = {
    "time": ("今天", "周末", "昨晚", "下班后", "早上", "中午", "今晚", "刚刚"),
    "friend": ("闺蜜", "室友", "同事", "老公", "老婆", "男朋友", "女朋友", "爸妈", "发小", "老同学"),
}

# fmt: off
TOPICS: tuple[Topic, ...] = (
    Topic(
        name="美食",
        weight=0.15,
        picture_rate=0.85,
        picture_type=3,
        positive_rate=0.60,
        negative_rate=0.12,
        long_post_rate=0.03,
        templates=(
            "{time}和{friend}去吃了{dish}",
            "终于打卡了{city}这家{shop}",
            "{city}的{dish}名不虚传",
            "自己在家做了{dish}，第一次做还挺成功",
            "排队{wait}才吃到的{dish}",
            "深夜放毒，{dish}走起",
            "这家{shop}的{dish}{taste}",
            "{time}的{dish}，{taste}",
            "给{friend}做了一桌菜，主菜是{dish}",
            "减肥失败，又吃了{dish}",
        ),
        slots={
            "dish": (
                "火锅", "小龙虾", "烤鱼", "螺蛳粉", "麻辣烫", "烧烤", "寿司", "牛排", "披萨",
                "生煎包", "肠粉", "热干面", "羊肉串", "酸菜鱼", "奶茶", "提拉米苏", "烤鸭",
                "煎饼果子", "臭豆腐", "凉皮", "牛肉面", "椰子鸡", "早茶", "糖醋排骨", "红烧肉",
            ),
            "shop": ("小馆", "老店", "网红店", "私房菜", "大排档", "日料店", "火锅店", "甜品店", "咖啡店", "夜市摊"),
            "taste": ("鲜嫩多汁", "辣得过瘾", "甜而不腻", "香到没朋友", "外酥里嫩", "分量超足", "一般般", "有点咸"),
            "wait": ("二十分钟", "半小时", "一个多小时", "两个小时"),
        },
        positive=("味道绝了", "好吃到想哭，太开心了", "幸福感满满", "下次还来，喜欢", "太满足了", "吃饱了真快乐"),
        negative=("踩雷了，难吃又失望", "太失望了", "不好吃还贵，讨厌", "吃完肚子不舒服，难过", "服务态度差，不开心"),
        hashtags=("#美食探店#", "#今天吃什么#", "#吃货日常#", "#深夜食堂#"),
        emoji=("😋", "🍲", "🍜", "🍰", "🦞", "🤤", "🍻", "🍢"),
        comments=(
            "看起来好好吃", "{dish}yyds", "求地址", "馋哭了", "下次带我", "在哪家店呀",
            "我也想吃{dish}", "深夜看到好饿", "这家我也去过", "{dish}看着就香",
        ),
    ),
    Topic(
        name="旅行",
        weight=0.10,
        picture_rate=0.90,
        picture_type=4,
        positive_rate=0.60,
        negative_rate=0.12,
        long_post_rate=0.10,
        templates=(
            "来{dest}啦",
            "打卡{landmark}",
            "{dest}的{scenery}真的绝",
            "说走就走的旅行，目的地{dest}",
            "在{landmark}拍了好多照片",
            "{time}出发去{dest}",
            "一个人的旅行，{dest}第{day}天",
            "坐了{hours}的{transport}终于到了{dest}",
            "{landmark}的{scenery}，值得专门跑一趟",
            "跟着攻略逛了{landmark}",
        ),
        slots={
            "scenery": ("日落", "晚霞", "蓝天", "海", "雪山", "夜景", "古镇", "星空", "花海"),
            "transport": ("高铁", "飞机", "火车", "大巴", "自驾"),
            "hours": ("三个小时", "五个小时", "一整夜", "大半天"),
            "day": ("一", "二", "三", "四", "五"),
        },
        positive=("风景美到窒息，好开心", "心情超好", "不虚此行，太美好了", "快乐加倍", "这趟旅行好幸福"),
        negative=("人山人海，好累", "下雨了，有点失望", "被宰了，讨厌", "景区太商业化，失望", "行程太赶，累趴了"),
        hashtags=("#旅行日记#", "#说走就走#", "#风景#", "#周末去哪儿#"),
        emoji=("✈️", "🏞️", "🌅", "🏖️", "⛰️", "📸", "🚄", "🌊"),
        comments=(
            "好美啊", "我也想去", "拍得真好", "求攻略", "羡慕", "玩得开心", "注意安全",
            "这是哪里呀", "{scenery}绝了", "坐{transport}去的吗",
        ),
    ),
    Topic(
        name="宠物",
        weight=0.09,
        picture_rate=0.88,
        picture_type=5,
        positive_rate=0.65,
        negative_rate=0.10,
        long_post_rate=0.03,
        templates=(
            "我家{pet}今天{action}",
            "{pet_name}又{action}",
            "新来的{pet}，取名叫{pet_name}",
            "带{pet_name}去{pet_place}",
            "下班回家，{pet_name}{action}",
            "{pet_name}{age}啦",
            "铲屎官的日常：{pet_name}{action}",
        ),
        slots={
            "pet": ("猫", "狗", "橘猫", "布偶猫", "柯基", "金毛", "柴犬", "仓鼠", "兔子", "泰迪", "英短", "边牧"),
            "pet_name": ("团子", "旺财", "咪咪", "豆豆", "可乐", "年糕", "球球", "大黄", "元宝", "奶茶"),
            "action": (
                "拆家了", "在晒太阳", "睡得四仰八叉", "偷吃零食", "追着尾巴转圈", "蹲在门口等我",
                "学会了握手", "钻进了纸箱",
            ),
            "pet_place": ("打疫苗", "洗澡", "公园遛弯", "宠物医院体检"),
            "age": ("一岁", "两岁", "三个月", "半岁"),
        },
        positive=("太可爱了，好开心", "被萌化了", "治愈一切，好幸福", "喜欢得不得了", "每天都很快乐"),
        negative=("生病了好难过", "又拆家，心累", "不吃东西，好担心，不开心", "走丢了半天，伤心死了", "掉毛太严重，讨厌"),
        hashtags=("#萌宠#", "#吸猫日常#", "#铲屎官#", "#狗狗的日常#"),
        emoji=("🐱", "🐶", "🐾", "🐰", "🐹", "😻", "🥰"),
        comments=(
            "好可爱", "{pet_name}好乖", "想rua", "我也想养一只{pet}", "胖了胖了", "太萌了",
            "{pet_name}今天吃了吗", "求{pet_name}的表情包",
        ),
    ),
    Topic(
        name="工作",
        weight=0.11,
        picture_rate=0.35,
        picture_type=2,
        positive_rate=0.30,
        negative_rate=0.35,
        long_post_rate=0.04,
        templates=(
            "加班到{clock}",
            "{time}开了{meetings}个会",
            "终于把{project}做完了",
            "周一综合征又犯了",
            "新工作第{nth}天",
            "今天被老板表扬了",
            "又要改{project}",
            "通勤{commute}，打工人不容易",
            "{project}明天截止，还差一半",
            "年中了，{project}还没动",
        ),
        slots={
            "clock": ("十点", "十一点", "凌晨一点", "半夜"),
            "meetings": ("三", "五", "七"),
            "project": ("方案", "报表", "PPT", "需求文档", "年终总结", "项目汇报", "代码"),
            "commute": ("一个小时", "两个小时", "四十分钟"),
            "nth": ("一", "三", "十", "一百"),
        },
        positive=("升职加薪了，开心", "项目上线了，好开心", "同事都很好，喜欢这个团队", "收获满满", "不累，干劲十足"),
        negative=("累成狗", "好累，不想上班", "被骂了，难过", "又加班，讨厌", "失望透顶", "一点都不开心"),
        hashtags=("#打工人#", "#加班日常#", "#职场#", "#周一#"),
        emoji=("💼", "💻", "☕", "😮‍💨", "📊", "😭", "💪"),
        comments=(
            "辛苦了", "打工人加油", "早点休息", "同款加班", "老板看到了吗", "{project}做完了吗",
            "摸鱼使我快乐", "下班了吗",
        ),
    ),
    Topic(
        name="健身",
        weight=0.08,
        picture_rate=0.60,
        picture_type=2,
        positive_rate=0.50,
        negative_rate=0.20,
        long_post_rate=0.03,
        templates=(
            "今天跑了{km}",
            "打卡健身第{days}天",
            "{workout}练完了",
            "体重终于掉了{kg}",
            "{time}去{gym}锻炼",
            "坚持{exercise}{weeks}",
            "{exercise}的第{days}天",
        ),
        slots={
            "km": ("三公里", "五公里", "十公里", "半马"),
            "days": ("七", "三十", "一百"),
            "workout": ("腿", "背", "胸", "核心", "有氧"),
            "kg": ("两斤", "五斤", "十斤"),
            "gym": ("健身房", "操场", "公园", "游泳馆", "瑜伽馆"),
            "exercise": ("跑步", "游泳", "瑜伽", "撸铁", "跳绳", "骑行"),
            "weeks": ("一周", "一个月", "三个月", "半年"),
        },
        positive=("出了一身汗，好爽", "越练越开心", "喜欢这种感觉", "自律给我自由，快乐", "状态超好"),
        negative=("腿疼得走不动，好累", "又胖了，难过", "平台期好失望", "偷懒了，讨厌自己", "一点都不快乐"),
        hashtags=("#健身打卡#", "#自律#", "#跑步#", "#减肥日记#"),
        emoji=("💪", "🏃", "🏋️", "🚴", "🧘", "🔥", "⏱️"),
        comments=(
            "太自律了", "向你学习", "带带我", "配速多少", "好厉害", "{exercise}坚持住",
            "羡慕这个身材", "明天一起{exercise}",
        ),
    ),
    Topic(
        name="电影",
        weight=0.08,
        picture_rate=0.55,
        picture_type=2,
        positive_rate=0.50,
        negative_rate=0.20,
        long_post_rate=0.05,
        templates=(
            "刚看完《{movie}》",
            "《{movie}》{verdict}",
            "和{friend}去看了《{movie}》",
            "{time}在家追《{show}》",
            "二刷《{movie}》",
            "推荐一部{genre}片：《{movie}》",
            "《{show}》终于更新了",
        ),
        slots={
            "movie": (
                "哪吒之魔童闹海", "流浪地球2", "唐探1900", "封神第二部", "你好，李焕英",
                "飞驰人生2", "热辣滚烫", "长安三万里", "满江红", "孤注一掷",
            ),
            "show": ("繁花", "漫长的季节", "狂飙", "庆余年", "甄嬛传", "三体", "老友记"),
            "genre": ("科幻", "喜剧", "动画", "悬疑", "爱情", "纪录"),
            "verdict": ("后劲好大", "笑出眼泪", "特效太震撼了", "剧情有点拖", "结尾没想到"),
        },
        positive=("太好看了，喜欢", "强烈推荐", "哭得稀里哗啦但很开心", "五星好评", "看完心情很美好"),
        negative=("好失望", "浪费两个小时，难过", "烂片，讨厌", "看睡着了，失望", "不喜欢这个结局"),
        hashtags=("#电影推荐#", "#观影日记#", "#周末看什么#"),
        emoji=("🎬", "🍿", "🎞️", "😭", "👍", "📺"),
        comments=(
            "好看吗", "我也想去看", "《{movie}》真的绝", "别剧透", "同感", "周末就去",
            "《{movie}》二刷了", "《{show}》yyds",
        ),
    ),
    Topic(
        name="情感",
        weight=0.12,
        picture_rate=0.30,
        picture_type=2,
        positive_rate=0.35,
        negative_rate=0.35,
        long_post_rate=0.12,
        templates=(
            "有些人走着走着就散了",
            "{time}突然很想{person}",
            "谢谢你一直在我身边",
            "成年人的崩溃只在一瞬间",
            "和{person}在一起{duration}了",
            "愿所有的等待都有结果",
            "人生亦是如此",
            "{time}一个人{activity}",
            "希望明天会更好",
            "给{person}打了个电话，聊了很久",
        ),
        slots={
            "person": ("你", "妈妈", "老朋友", "初恋", "家人", "外婆"),
            "duration": ("一年", "三年", "五年", "十年"),
            "activity": ("吃饭", "散步", "听歌", "发呆", "看海"),
        },
        positive=("很幸福", "遇见你真好，开心", "一切都很美好", "开心就好", "好喜欢现在的生活", "不难过了，向前看"),
        negative=("好难过", "心里空落落的，伤心", "有点伤心", "失望攒够了就走了", "不开心", "好累，想一个人静静", "讨厌这样的自己"),
        hashtags=("#情感#", "#心情#", "#深夜emo#", "#治愈#"),
        emoji=("❤️", "💔", "🌙", "🥺", "🤗", "✨", "🌸"),
        comments=("说得真好", "感同身受", "人生亦是如此", "你值得更好的", "幸福", "想{person}了", "抱紧你"),
    ),
    Topic(
        name="节日",
        weight=0.05,
        picture_rate=0.70,
        picture_type=2,
        positive_rate=0.70,
        negative_rate=0.10,
        long_post_rate=0.03,
        templates=(
            "{greeting}",
            "祝大家{greeting}",
            "{holiday}和{friend}一起过",
            "{holiday}的{holiday_food}吃了吗",
            "{holiday}放假啦",
            "今年{holiday}在{city}过",
            "{holiday}收到了{friend}的礼物",
            "{holiday}，{friend}做了{holiday_food}",
        ),
        positive=("阖家幸福", "开开心心", "好幸福", "满满的幸福感", "万事如意，快乐", "美好的一天"),
        negative=("一个人过节好孤单，难过", "加班过节，不开心", "回不了家有点伤心", "假期太短，失望"),
        hashtags=("#节日快乐#", "#{holiday}#", "#假期#"),
        emoji=("🎉", "🧧", "🏮", "🎊", "🎁", "🧨", "❤️"),
        comments=("{greeting}", "节日快乐", "同乐同乐", "你也是", "吃了好多{holiday_food}", "祝好", "{holiday}愉快"),
    ),
    Topic(
        name="读书",
        weight=0.06,
        picture_rate=0.45,
        picture_type=2,
        positive_rate=0.50,
        negative_rate=0.12,
        long_post_rate=0.10,
        templates=(
            "读完了《{book}》",
            "最近在看《{book}》，{thought}",
            "今年第{count}本书",
            "{time}在{read_place}看书",
            "{book_quote}",
            "重读《{book}》，{thought}",
        ),
        slots={
            "book": ("活着", "三体", "百年孤独", "平凡的世界", "围城", "人类简史", "小王子", "红楼梦", "额尔古纳河右岸", "月亮与六便士"),
            "thought": ("很有启发", "有点难读", "读到深夜", "每一页都想划线"),
            "count": ("五", "十", "二十"),
            "read_place": ("图书馆", "咖啡馆", "地铁上", "床上"),
            "book_quote": (
                "《活着》里有一句话：人是为活着本身而活着",
                "《小王子》里有一句话：真正重要的东西用眼睛是看不见的",
                "《围城》里说，城外的人想冲进去，城里的人想逃出来",
            ),
        },
        positive=("很喜欢", "收获很多", "读书使我快乐", "被治愈了，开心"),
        negative=("看不下去，失望", "太压抑，难过", "读得好累"),
        hashtags=("#读书#", "#读书笔记#", "#好书推荐#"),
        emoji=("📚", "📖", "☕", "🔖", "✍️"),
        comments=("好书", "求推荐", "《{book}》我也读过", "收藏了", "读书的人真好", "书单+1"),
    ),
    Topic(
        name="日常",
        weight=0.16,
        picture_rate=0.55,
        picture_type=2,
        positive_rate=0.45,
        negative_rate=0.20,
        long_post_rate=0.03,
        templates=(
            "{time}天气{weather}",
            "早安",
            "晚安",
            "又是{weekday}",
            "周末宅家",
            "{time}{daily_act}",
            "记录一下今天",
            "今天的天空好{sky}",
            "在{city}的第{years}年",
        ),
        slots={
            "weather": ("真好", "好热", "下雨了", "降温了", "有雾霾"),
            "weekday": ("周一", "周五", "周末"),
            "daily_act": ("打扫房间", "睡了个懒觉", "逛超市", "买了新衣服", "学做饭", "拼了一下午乐高"),
            "sky": ("蓝", "亮"),
            "years": ("一", "三", "五", "十"),
        },
        positive=("心情不错", "开心", "小确幸", "美好的一天", "喜欢这样的日子"),
        negative=("烦", "有点累", "不开心", "讨厌下雨天", "失望"),
        hashtags=("#日常#", "#记录生活#", "#今日份心情#"),
        emoji=("☀️", "🌧️", "😊", "😴", "🌈", "☕", "🙃"),
        comments=("哈哈哈", "早安", "晚安", "同款", "好棒", "赞", "{city}今天也{weather}"),
    ),
)

# Neutral sentences that pad long posts on any topic.
FILLER_SENTENCES: tuple[str, ...] = (
    "生活就是这样",
    "记录一下",
    "今天发生了好多事",
    "时间过得真快",
    "慢慢来，比较快",
    "希望一切顺利",
    "感谢遇见",
    "愿你我都好",
    "也许这就是成长吧",
    "时间会给出答案",
    "做自己就好",
    "明天又是新的一天",
    "想说的话有很多",
    "有些事情只有自己知道",
    "一晃又是一年",
    "珍惜眼前人",
    "早上出门的时候还在下雨，到了中午太阳就出来了",
    "路上遇到一个很久没见的老同学，聊了好一会儿",
    "回家的地铁上人特别多，站了一路",
    "晚上给家里打了个电话，爸妈身体都还好",
    "最近总是睡得很晚，要调整一下作息了",
    "楼下新开了一家便利店，以后买东西方便多了",
    "周末打算好好休息，什么都不想",
    "翻到了几年前的照片，那时候的自己好年轻",
    "手机里存了好多照片，一直没时间整理",
    "这个月的计划完成了一大半，剩下的慢慢来",
    "窗外的树又绿了，春天是真的来了",
    "下午泡了一壶茶，坐在阳台上发了会儿呆",
    "朋友说我最近变了，我也说不清楚哪里变了",
    "每天都在重复同样的事情，偶尔也想换个活法",
    "有空还是要多出去走走，看看不一样的风景",
    "今天的晚霞很好看，可惜手机拍不出来",
    "小区门口的猫又胖了一圈",
    "冰箱里只剩下两个鸡蛋和一根葱",
    "总觉得还有很多事情没做完",
    "听了一下午的老歌，想起了很多以前的事",
    "这段时间学会了一个人做很多事情",
    "等忙完这阵子，一定要去海边住几天",
)

GENERAL_POSITIVE: tuple[str, ...] = ("好开心", "太快乐了", "好幸福", "一切都很美好", "喜欢", "心情美美的", "不难过了")
GENERAL_NEGATIVE: tuple[str, ...] = ("好难过", "有点伤心", "太失望了", "讨厌", "好累", "一点都不开心", "不喜欢")

GENERIC_COMMENTS: tuple[str, ...] = ("哈哈哈", "好棒", "赞", "👍", "厉害了", "支持", "哈哈哈哈哈", "真不错", "可以的", "沙发")
COMFORT_COMMENTS: tuple[str, ...] = ("抱抱", "别难过", "会好起来的", "加油", "摸摸头", "照顾好自己")
REPLY_COMMENTS: tuple[str, ...] = ("谢谢", "哈哈是的", "对呀", "同感", "下次一起", "你说得对", "嘿嘿")

# Nickname parts for @mentions. They avoid sentiment words on purpose.
NICKNAME_ADJECTIVES: tuple[str, ...] = ("安静的", "温柔的", "勇敢的", "努力的", "奔跑的", "迷路的", "睡不醒的", "爱吃的", "会飞的")
NICKNAME_NOUNS: tuple[str, ...] = (
    "鱼", "熊", "猫", "兔", "鹿", "柠檬", "西瓜", "橘子", "星星", "月亮", "云朵", "土豆", "番茄", "饺子", "芒果",
)
NICKNAME_PREFIXES: tuple[str, ...] = ("小", "阿", "大", "老")
NICKNAME_LATIN: tuple[str, ...] = ("Lily", "Tony", "Coco", "Kevin", "Amy", "Jack", "Yuki", "Leo", "Mia", "Sunny")

# fmt: on

TOPIC_NAMES: tuple[str, ...] = tuple(topic.name for topic in TOPICS)
TRAVEL_TOPIC = TOPIC_NAMES.index("旅行")
FESTIVAL_TOPIC = TOPIC_NAMES.index("节日")
