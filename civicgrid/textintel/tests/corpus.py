"""A small synthetic training corpus for tests (no real messages): three labels, 30 messages each,
built from templates so that training stays cheap and the classes are clearly separable."""

from __future__ import annotations

from civicgrid.textintel.training import Example

PLACES = [
    "东湖路",
    "西山街",
    "南门广场",
    "北苑小区",
    "解放路",
    "人民公园",
    "滨江大道",
    "新华街",
    "学院路",
    "中山路",
]
TEMPLATES = {
    "0101": (
        "{p}有暴露垃圾",
        [
            "{p}路边堆了很多生活垃圾，气味难闻，请环卫清理",
            "{p}垃圾乱扔乱倒，好几天没人清运",
            "{p}的垃圾堆放在人行道上",
        ],
    ),
    "0301": (
        "{p}工地夜间施工噪音扰民",
        [
            "{p}工地晚上十一点还在打桩，施工噪音很大睡不着",
            "{p}连夜施工，机器轰鸣扰民",
            "{p}施工噪声严重影响休息",
        ],
    ),
    "0201": (
        "{p}小广告泛滥",
        ["{p}墙上贴满了小广告和办证电话", "{p}电线杆上牛皮癣小广告很多", "{p}有人到处张贴野广告"],
    ),
}


def corpus(per_label: int = 30) -> list[Example]:
    examples = []
    for label, (title, bodies) in TEMPLATES.items():
        for i in range(per_label):
            place = PLACES[i % len(PLACES)]
            examples.append(Example(title.format(p=place), bodies[i % len(bodies)].format(p=place), label))
    return examples
