"""Personal names, as identifying.py looks for them: Korean names with a title, foreign given
names written in Hangul with a title, and which Latin-script phrases are not people.

A Korean name is a surname syllable and (almost always) a two-syllable given name; what marks
it as a name in running text is the title after it (김철수 집사님, 이영희 권사, 송지훈님). A
surname alone before an office (박 장로님, 정 전도사님) names one person of a congregation too.
What is *not* a name is the hard part, so the rules below say what they leave out and why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

H = "\uac00-\ud7a3"

# Surnames of the 2015 census (통계청) that cover almost every Korean; 리/림/로 as North Koreans
# write 이/임/노 (두음 법칙 is not applied there).
SURNAMES: Final = (
    "김|이|박|최|정|강|조|윤|장|임|한|오|서|신|권|황|안|송|류|유|전|홍|고|문|양|손|배|백|허|"
    "남|심|노|하|곽|성|차|주|우|구|민|진|나|지|엄|채|원|천|방|공|현|함|변|염|여|추|도|소|석|"
    "선|설|마|길|연|위|표|명|기|반|왕|금|옥|육|인|맹|제|모|탁|국|어|은|편|용|리|림|로"
)
# Offices and forms of address that follow a name. 님 is attached (송지훈님); the others may
# stand after a space. Church offices of Korean Protestant churches, and 동무/동지 as a North
# Korean listener is addressed.
OFFICES = "집사|권사|장로|목사|전도사|강도사|선교사|사모|선생|교수|박사|권찰|동무|동지|성도|씨"
# 형제 and 자매 are how believers are named (홍길동 형제); 가정, 가족, 어머니 ... follow
# ordinary nouns far more often than names (선교사 가정, 공동체 가족, 성경은 어머니가), so they
# are not titles here.
FAMILY = "형제|자매"
TITLES_KO: Final = f"{OFFICES}|{FAMILY}|님"

# Three-syllable words that start with a surname syllable and stand before a title without
# being a name: church words (전도사님, 선교사 가정), 여러분, and the adjectives a message uses
# for people (신실한 형제, 정다운 가정). An adjective ending would also end some given names
# (이재한), so only these words are left out, not every word ending in 한.
NOT_GIVEN_NAMES: Final = frozenset(
    """
    전도사 전도자 선교사 신학생 성가대 구역장 강도사 장로님 권사님 하나님 여러분 모두가 모두의
    위하여 우리들 신실한 성실한 진실한 정직한 소중한 강건한 안전한 조용한 용감한 유명한 변함없
    반가운 고마운 귀여운 사랑한 사랑스런 존경하는 지혜로운 어여쁜 연약한 가난한 외로운
    성숙한 온전한 거룩한 경건한 진정한 친애하는 남북의 남한의 북한의 남쪽의 북쪽의 고향의
    조선의 하늘의 이웃의 모든 주안의 주님의 성도의 교회의 우리의 이번의 오늘의 함께한
    우리가 우리도 우리와 오늘은 오늘도 이것은 이것이 이제는 여기서 여기도 지금은 지금도
    모두는 서로가 서로를 공동체 지도자 안내자 구성원 어린이 이야기 한마음 선교회 기도회 성경반
    """.split()  # noqa: SIM905
)
# A surname alone before an office: 한 and 이 are also 'one' and 'this' (한 형제, 이 자매), so
# they count only before an office, never before 형제 or 자매; and 한 not even then (한 목사님
# is 'a pastor'), because editors are asked to write exactly that.
_SURNAME_ALONE = SURNAMES.replace("한|", "")
_KOREAN_NAME: Final = re.compile(
    # a full name: surname + two syllables + title (the title may follow a space, except 님)
    rf"(?<![{H}])(?P<full>(?:{SURNAMES})[{H}]{{2}})(?:\s?(?:{OFFICES}|(?P<family>{FAMILY}))님?|님)"
    # a surname alone, then a space and an office: 박 장로님, 정 전도사님
    rf"|(?<![{H}])(?P<alone>{_SURNAME_ALONE})\s(?:{OFFICES})(?:님)?"
)
# Modern foreign given names written in Hangul (the Bible's forms differ: 다윗 is David, 요한
# John, 바울 Paul, 베드로 Peter), so these with a title are a person of today.
_FOREIGN_GIVEN = (
    "데이비드|존|마이클|폴|제임스|메리|사라|피터|스티브|크리스|앤드루|토마스|조셉|매튜|제니|"
    "수잔|레베카|루크|마크|조슈아|케빈|브라이언|제이슨|에릭|리처드|로버트|윌리엄|엘리자베스|"
    "캐서린|린다|낸시|헬렌|그레이스|에밀리|제시카|애나|앤|줄리아|벤|샘|톰|잭|해리|조지"
)
_FOREIGN_NAME: Final = re.compile(
    rf"(?<![{H}])(?:{_FOREIGN_GIVEN})(?:\s[{H}]{{2,4}})?\s?(?:{OFFICES}|{FAMILY}|님)(?:님)?"
)
# particles that end no given name (은, 이, 가 end many: 지은, 하은, 수이), so a 'given name'
# ending in one of these is a word with its particle: 주님의, 우리는, 하나님
_PARTICLE_AFTER = re.compile(r"(?:님|의|는|을|를|에|께)$")
# before 형제, 가정 ...: adjective endings that end hardly any given name (어려운 가정, 충성된
# 형제, 기쁜 자매); 한, 은, 인, 진 end many (이재한, 김지은) and are left to NOT_GIVEN_NAMES
_ADJECTIVE_END = re.compile(r"[운된던할픈쁜울]$")
# ... and endings of nouns for groups and things (공동체, 기도회, 장년부, 성가대, 정신력)
_NOUN_END = re.compile(r"[체회부단대력망극절점표말급관실론법층들]$")


def _name_syllable(syllable: str) -> bool:
    """Whether a syllable can be part of a Korean given name. Loanwords are written with
    syllables names never use: ㅋ, tense consonants, the epenthetic ㅡ of 스, 트, 크, 브 and
    finals such as ㅅ, ㅊ, ㅌ (로그인, 서비스, 오케이, 유튜브, 리트릿). Names with ㅌ or ㅍ are
    few and known (태, 택, 평, 표, 필, 편)."""
    code = ord(syllable) - 0xAC00
    if not 0 <= code < 11172:
        return False
    initial, medial, final = code // 588, code % 588 // 28, code % 28
    if initial in (1, 4, 8, 10, 13, 15):  # ㄲ ㄸ ㅃ ㅆ ㅉ ㅋ
        return False
    if initial == 16 and syllable not in "태택":
        return False
    if initial == 17 and syllable not in "평표필편":
        return False
    if medial == 18 and final == 0:  # 스, 트, 크, 브, 드, 그, 르 ...
        return False
    # finals: ㄷ ㅅ ㅈ ㅊ ㅋ ㅌ ㅍ ㅎ and every double final
    return final not in (3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 18, 19, 20, 22, 23, 24, 25, 26, 27)


def korean_names(text: str) -> Iterable[re.Match[str]]:
    """Korean names with a title, and foreign given names in Hangul with a title."""
    for m in _KOREAN_NAME.finditer(text):
        full = m["full"]
        if full is not None:
            if full in NOT_GIVEN_NAMES or _PARTICLE_AFTER.search(full[1:]):
                # 하나님, 주님의, 우리의 형제: the 'given name' is a word with its particle
                continue
            if m["family"] and (_ADJECTIVE_END.search(full) or _NOUN_END.search(full)):
                continue
            if not all(_name_syllable(c) for c in full[1:]):
                continue
        yield m
    yield from _FOREIGN_NAME.finditer(text)


# Capitalized Latin words that are not people: the name of Jesus, church words, days, months,
# places, and the words organisations are named with (Open Doors, World Vision, Voice of the
# Martyrs, Far East Broadcasting Company). A phrase made only of these is not a person; a
# phrase holding an organisation word (Church, Mission, Broadcasting ...) is an organisation.
NOT_PEOPLE: Final = frozenset(
    """
    jesus christ god lord holy spirit bible amen hallelujah gospel church korea korean north
    south merry christmas happy new year good friday easter sunday monday tuesday wednesday
    thursday saturday january february march april may june july august september october
    november december the of and radio news world peace love hope grace in his name open doors
    vision voice martyrs far east broadcasting company seoul pyongyang china russia america
    google facebook youtube kakao naver samsung apple android zoom telegram instagram twitter
    wechat skype whatsapp signal messiah immanuel emmanuel hosanna sabbath pentecost advent
    lent psalm psalms genesis exodus john matthew mark luke acts romans revelation
    """.split()  # noqa: SIM905
)
ORGANISATION_WORDS: Final = frozenset(
    """
    church churches mission missions ministry ministries broadcasting broadcast radio network
    society foundation fellowship association alliance council union international company
    corporation university college school seminary institute center centre trust fund relief
    aid service services team committee federation conference org inc ltd
    """.split()  # noqa: SIM905
)
_TITLE_WORDS: Final = frozenset(
    "mr mrs ms miss dr rev pastor brother sister elder deacon missionary prof father".split()  # noqa: SIM905
)


def latin_is_not_a_person(phrase: str) -> bool:
    words = [w.lower().strip(".").replace("’", "'") for w in phrase.split()]
    if any(w in ORGANISATION_WORDS for w in words):
        return True
    named = [w for w in words if w not in _TITLE_WORDS]
    if len(named) < len(words):  # a title is there: Sister Grace is a person
        return False
    return all(w in NOT_PEOPLE for w in named)
