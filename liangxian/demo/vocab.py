"""Word lists the synthetic county draws from: names, schools, disability kinds, phone prefixes.

Uyghur given names are written in the usual Chinese transliteration of the civil registry; a full Uyghur
name is ``given·father's given`` (阿不都热合曼·买买提).
"""

from __future__ import annotations

from typing import Final


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


UYGHUR_MALE: Final = _words(
    "阿不都热合曼 买买提 艾力 艾买提 吐尔逊 阿不都拉 阿布都克力木 艾则孜 艾海提 阿里木 阿迪力 阿不来提 阿克木 "
    "阿力甫 巴拉提 伊力哈木 伊敏 依明 依不拉音 玉苏甫 努尔买买提 努尔艾力 热合曼 热依木 肉孜 斯拉木 萨迪克 "
    "沙吾提 吐尔洪 吐送 托合提 乌斯曼 外力 吾买尔 亚森 牙合甫 麦麦提敏 麦合木提 麦吐送 木沙 纳斯尔 帕尔哈提 "
    "如则 赛买提 塔依尔 塔西 图尔荪 吾拉音 吾守尔 夏木西 尤努斯 约麦尔 再努拉 扎克尔 祖农 阿卜力孜 阿曼 "
    "艾尼瓦尔 艾克拜尔 艾合买提 艾山 奥斯曼 白克力 地里夏提 居麦 卡德尔 克然木 库尔班 米吉提 木合塔尔 "
    "热西提 色依提 苏力坦 吐拉洪 瓦哈甫 喀斯木 哈力克 海拉提 迪力木拉提 阿合买提江 买合木提 依沙克 "
    "阿布力米提 麦麦提吐尔逊 努尔麦麦提 阿不都许库尔"
)

UYGHUR_FEMALE: Final = _words(
    "古丽娜尔 阿依古丽 帕提古丽 热依拉 阿依努尔 布合力其木 米日古丽 再努尔 祖丽胡玛尔 努尔古丽 古丽巴哈尔 "
    "阿娜尔古丽 阿依先木 阿米娜 巴哈古丽 迪丽努尔 古丽米热 古丽尼沙 古再丽努尔 海丽倩木 吉力古丽 卡米拉 "
    "开丽比努尔 玛依拉 米热阿依 木开热木 娜孜古丽 努尔比亚 帕丽旦 帕夏古丽 热孜万古丽 热娜古丽 如克亚 "
    "赛乃姆 苏比努尔 图尔荪古丽 吐逊古丽 托乎提汗 乌鲁汗 西仁古丽 夏依达 依巴代提 再比布拉 则乃普 祖合热 "
    "阿孜古丽 阿瓦罕 艾沙汗 巴哈尔古丽 布维罕 布佐热 迪娜拉 古力加马力 哈丽旦 哈尼克孜 加米拉 卡丽曼 "
    "玛合拜提 玛尔孜亚 米娜瓦尔 穆尼热 努尔尼沙 帕尔旦 热比古丽 热汗古丽 热米拉 如先古丽 沙拉买提 图尼沙 "
    "吾尔尼沙 伊斯木汗 茹鲜古丽 孜比古丽 祖木热提 阿依夏木 买热木古丽 阿依吐拉 努尔曼古丽 古丽扎尔 "
    "阿依提拉 萨尼亚 米合热班"
)

HAN_SURNAMES: Final = _words(
    "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 高 林 罗 郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 "
    "袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈"
)

HAN_MALE_CHARS: Final = "伟强军磊洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林建国志文斌海东峰"
HAN_FEMALE_CHARS: Final = "芳娜敏静丽艳娟霞燕玲桂英萍红梅琳雪婷慧倩秀兰琴颖晶月洁佳欣悦"

# Mobile number blocks of the three operators (China Mobile, Unicom, Telecom).
PHONE_PREFIXES: Final = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 "
    "170 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 198 199"
)

# (code, name, weight): disability certificate type codes 1-7 of the federation's certificate number.
DISABILITY_TYPES: Final = (
    ("1", "视力残疾", 14),
    ("2", "听力残疾", 16),
    ("3", "言语残疾", 3),
    ("4", "肢体残疾", 44),
    ("5", "智力残疾", 8),
    ("6", "精神残疾", 8),
    ("7", "多重残疾", 7),
)
DISABILITY_GRADES: Final = (("1", "一级", 10), ("2", "二级", 22), ("3", "三级", 30), ("4", "四级", 38))

MONITOR_TYPES: Final = (("脱贫不稳定户", 50), ("边缘易致贫户", 35), ("突发严重困难户", 15))

# Counties of Kashgar Prefecture other than Yengisar, where some residents were born.
KASHGAR_OTHER_COUNTIES: Final = _words("653101 653121 653122 653124 653125 653126 653127 653128 653129 653130 653131")

GRADES: Final = {
    6: "一年级",
    7: "二年级",
    8: "三年级",
    9: "四年级",
    10: "五年级",
    11: "六年级",
    12: "七年级",
    13: "八年级",
    14: "九年级",
    15: "高一",
    16: "高二",
    17: "高三",
    18: "大一",
    19: "大二",
    20: "大三",
    21: "大四",
    22: "大四",
}
COLLEGES: Final = ("喀什大学", "新疆大学", "喀什职业技术学院", "新疆师范大学", "石河子大学")
HIGH_SCHOOLS: Final = ("英吉沙县第一中学", "英吉沙县第二中学", "英吉沙县职业技术学校")
