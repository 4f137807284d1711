"""Text folding for comment matching, and the vocabulary of folded comments.

Comments arrive with and without Vietnamese diacritics, in full-width forms, with emoji,
zero-width characters, platform badges and @mentions. Everything the parser matches is
written against the folded form produced by :func:`normalize`: ASCII, lower case, single
spaces. Folding uses one ``str.translate`` table built at import time rather than a
per-character ``unicodedata`` loop, because the parser runs on every comment of a show.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

MAX_TEXT = 2000
"""Longest comment text the parser looks at; anything after it is ignored."""

# Characters that carry no visible text and would otherwise split or glue words.
_INVISIBLE = (
    [0x00AD, 0x034F, 0x061C, 0x180E, 0xFEFF]
    + list(range(0x200B, 0x2010))
    + list(range(0x202A, 0x202F))
    + list(range(0x2060, 0x2070))
    + list(range(0xFE00, 0xFE10))
)


def _build_fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {}
    # Latin-1 to Latin Extended Additional covers every precomposed Vietnamese letter.
    for cp in range(0x80, 0x2000):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base and base.isascii() and base.isalpha():
            table[cp] = base.lower()
    for cp in range(0x300, 0x370):  # stray combining marks (text typed in NFD form)
        table[cp] = None
    for cp in _INVISIBLE:
        table[cp] = None
    # đ has no decomposition, and the symbols below are how viewers write "x2" and prices.
    table.update({ord("đ"): "d", ord("Đ"): "d", ord("×"): "x", ord("₫"): "d"})
    return table


_FOLD = _build_fold_table()
_EXPENSIVE = re.compile(r"[đĐ][ắẮ][tT]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# "bỏ 1 A2" cancels one unit; "bố 1 A2" (dad), "bò 1 A2" (beef) fold to the same letters. While
# the diacritics still tell, any "bo" but "bỏ" before a count becomes "boo", which cancels nothing.
_MARKED_BO = "[bB][òóõọôồốổỗộơờớởỡợÒÓÕỌÔỒỐỔỖỘƠỜỚỞỠỢ]"
_ANY_MARKED_BO = re.compile(_MARKED_BO)  # the cheap test first: most comments have none
_NOT_BO = re.compile(r"(?<![^\W\d_])" + _MARKED_BO + r"(?=\s+(?:x\s?)?(?:\d|một|mot|hai|ba\b))")
# Platform noise: "[top fan]" style badges and @mentions of other viewers or the shop.
_NOISE = re.compile(r"\[[^\]]*\]|@\w+")


def normalize(text: str) -> str:
    """Fold a comment for matching: NFKC, lower case, no diacritics, no emoji, single spaces.

    The result is ASCII. ``normalize(normalize(t)) == normalize(t)`` for every string.
    """
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if "ắt" in text or "Ắ" in text or "ẮT" in text:
            # "đắt" (expensive) and "đặt" (order) fold to the same letters; keep them apart
            # while the diacritics still tell: "đắt" becomes "datt", a word that orders nothing.
            text = _EXPENSIVE.sub("datt", text)
        if _ANY_MARKED_BO.search(text):
            text = _NOT_BO.sub("boo", text)
        text = text.translate(_FOLD)
        if not text.isascii():
            text = _NON_ASCII.sub(" ", text)
    text = " ".join(text.lower().split())
    if "[" in text or "@" in text:
        text = " ".join(_NOISE.sub(" ", text).split())
    if len(text) > MAX_TEXT:
        # NFKC can lengthen text (ligatures, "㎏"); cut again so a second pass is a no-op.
        text = text[:MAX_TEXT].rstrip()
    return text



# --- vocabulary --------------------------------------------------------------------------
# Keywords are literal phrases of folded text, looked up in one trie-shaped expression so the
# regex engine tries a handful of characters per word instead of hundreds of alternatives.
# A longer phrase always wins over its prefix: "khong lay" is a cancel, "lay" an order word.

_NEG = ("khong", "ko", "k", "kh", "hong", "hok", "hem", "hk", "khg")
_ME = ("em", "e", "minh", "mk", "mik", "chi", "c", "anh", "a", "toi", "tui", "co", "bac", "con",
       "ba", "me")
_BUY = ("chot", "lay", "mua", "dat", "order", "len don")
_LATER = ("mai", "de mai", "sau nay", "lan sau", "hom sau", "bua sau", "dip sau", "tuan sau",
          "hom qua", "hom truoc", "bua truoc", "lan truoc", "nam ngoai", "tuan truoc",
          "thang truoc")


def _expand(*parts: str | tuple[str, ...]) -> list[str]:
    """Every phrase made by choosing one alternative per part ("" leaves the part out)."""
    choices = [(p,) if isinstance(p, str) else p for p in parts]
    return [" ".join(w for w in combo if w) for combo in itertools.product(*choices)]


KEYWORDS: dict[str, str] = {}
"""Folded phrase -> token kind (already, notnow, noorder, seed, qphrase, cancel, change,
bulk, order, qword)."""


def _add(kind: str, phrases: list[str] | tuple[str, ...]) -> None:
    for phrase in phrases:
        if KEYWORDS.setdefault(phrase, kind) != kind:
            raise ValueError(f"keyword {phrase!r} has two kinds")


_add("already", _expand("da", (*_BUY, "ck", "chuyen khoan", "thanh toan", "gui")))
_add("already", _expand((*_BUY, "ck", "chuyen khoan"), ("", "don", "hang"), ("roi", "r")))
_add("already", ("already", "ordered", "paid"))
_add("notnow", _expand(_LATER, ("", "minh", "em", "e", "chi", "anh", "toi", "tui", "se", "thi",
                                "moi", "mik", "mk", "t", "tao"), _BUY))
# Seeding: telling others to buy ("moi nguoi nen mua") is never an order, even with a code.
_add("seed", _expand(("ai", "nen", "se", "hay", "moi nguoi", "ae", "ca nha", "moi nguoi nen",
                      "mn", "mng"), _BUY))
_add("noorder", ("mua si", "lay si", "ban si", "gia si", "si le"))
_add("bulk", _expand(("chot", "lay", "mua", "bao"), ("het", "tat ca", "all")))
_add("noorder", ("troi mua", "con mua", "gia dinh", "dat khach"))
_add("noorder", _expand("mua", ("to", "lon", "qua", "bao", "ngap", "di moi")))
_add("noorder", _expand("mua", tuple("123456789"), "tang"))
_add("noorder", _expand("cam on", ("", "shop", "ban", "em", "chi", "anh", "ca nha", "moi nguoi",
                                   "rat", "shop rat"), "nhieu"))
# "đắt" (dear) typed without diacritics: an opinion, so it counts against a bare code.
_add("rev", _expand(("hoi", "qua", "mac"), "dat"))
_add("rev", _expand("dat", ("qua", "the", "vay", "ghe", "xiu", "lam", "v", "z", "wa", "qa",
                            "vl", "qua troi")))
_add("rev", ("mac qua", "mac wa", "mac vay", "mac z", "datt", "re hon", "che", "chan"))
_add("qphrase", _expand(("lam sao", "sao", "cach", "lam the nao"), ("", "de"), _BUY))
_add("qphrase", _expand(_BUY, ("sao", "nhu nao", "nhu the nao", "the nao", "kieu gi", "o dau",
                               "bang cach nao")))
_add("qphrase", _expand("cho", _ME, "hoi"))
_add("qphrase", _expand("con", (*_NEG, "hang", "nua", "size")))
_add("qphrase", ("xin gia", "in stock", "how much", "how to", "how to order", "how to buy",
                 "het chua", "het hang"))
_add("cancel", _expand(("", "i want to", "want to", "i wanna", "wanna"), ("huy", "cancel"),
                       ("", "my", "the", "this"), ("", "order", "don")))
_add("cancel", ("remove", "dont want", "don't want"))
_add("cancel", _expand(("cho", "giup"), _ME, ("huy", "bo"), ("", "don")))
_add("cancel", _expand(_NEG, ("lay", "mua", "chot", "dat"), ("", "nua")))
_add("order", ("chot don", "chot", "lay", "mua", "dat hang", "dat", "len don", "xi", "sold",
               "buy", "order", "mine", "take", "want"))
_add("order", _expand(("cho", "gui"), _ME))
_add("qword", _expand("may", ("ngay", "hom", "hop", "hu", "goi", "cai", "chai", "tien", "ky",
                              "kg", "bich", "tui", "phan")))
_add("qphrase", ("con may", "con bao nhieu"))
_add("already", _expand(_BUY, "lan", ("2", "3", "4", "5", "hai", "ba", "thu 2", "thu 3",
                                      "thu hai", "thu ba"), ("", "roi")))
_add("change", _expand("doi", ("sang", "thanh", "qua", "lai", "ma", "size", "loai", "mau")))
_add("change", ("giu", "giu lai", "sua don", "sua lai", "thay bang", "thay thanh", "change"))
_add("qword", ("gia", "bao nhieu", "bao nhiu", "bnhieu", "bn", "bao tien", "may tien",
               "bao lau", "o dau", "price", "available"))

# -- precision: set phrases and frames that carry order words but never order -------------
# Greetings and wishes (Tết chatter): "mua may bán đắt", "an khang thịnh vượng".
_add("noorder", ("mua may ban dat", "buon may ban dat", "mua may ban may", "ban dat",
                 "dat nhu tom tuoi", "ban chay", "an khang thinh vuong", "an khang", "thinh vuong",
                 "phat tai phat loc", "phat tai", "phat loc", "van su nhu y", "nam moi",
                 "chuc mung nam moi", "suc khoe doi dao", "tan tai tan loc", "tien vo nhu nuoc",
                 "an nen lam ra", "hanh phuc", "ba me", "bo me", "ba ma", "ong ba", "ba noi",
                 "ba ngoai", "ba con", "li xi", "lixi", "ngoai cho", "o cho", "di cho",
                 "ra cho", "cho ban", "khong cho", "ko cho", "k cho", "kh cho", "hong cho",
                 "cho phep", "cho xem", "cho coi", "cho hoi", "khong cho mua", "ko cho mua",
                 "k cho mua", "kh cho mua", "khong mua noi", "ko mua noi", "k mua noi",
                 "mua khong noi", "mua ko noi", "mua k noi", "danh gia", "dg"))
_add("noorder", _expand(("chao", "hello", "hi", "xin chao", "chuc"), ("ca nha", "moi nguoi", "mn",
                                                                        "cac ban", "ae", "chi em")))
# "for my parents / for the family": benefactive, not "give me".
_add("noorder", _expand("cho", ("ba me", "bo me", "ba ma", "ong ba", "ba noi", "ba ngoai",
                                "gia dinh", "ca nha", "nha", "be", "chau", "ban", "moi nguoi",
                                "ai", "vo", "chong", "sep", "ban be", "hang xom", "nguoi yeu",
                                "ny")))
# The same set phrases with "đắt" typed with its diacritics (see normalize).
for _phrase, _kind in [(p, k) for p, k in KEYWORDS.items()
                       if k in ("noorder", "rev") and "dat" in p.split()]:
    _add(_kind, [" ".join("datt" if w == "dat" else w for w in _phrase.split())])
# Counts of people, ages, ratings, years spelled as words: "hai đứa con", "ba người".
_add("noorder", _expand(("mot", "hai", "ba", "bon", "nam", "sau", "bay", "tam", "chin", "muoi"),
                        ("dua", "dua con", "dua nho", "nguoi", "be", "chau", "tuoi", "sao",
                         "diem", "nam", "thang", "tuan", "ngay", "lan", "mon", "dem", "gio")))
# Past purchases and reviews: "hôm trước mua ...", "đợt trước ăn mặn quá".
_add("past", ("hum qua", "hum truoc", "hum trc", "hom trc", "lan trc", "bua trc", "tuan trc",
              "thang trc", "dot trc", "hom wa", "hum wa", "hom qua", "hom truoc", "bua truoc",
              "lan truoc", "tuan truoc", "thang truoc",
              "nam ngoai", "nam truoc", "dot truoc", "bua qua", "toi qua", "hom bua", "bua hom",
              "hom kia", "da tung", "tung", "luc truoc", "truoc day", "hoi truoc", "tet truoc",
              "tuan roi", "thang roi", "nam roi", "may hom truoc", "moi mua", "moi an",
              "nhan duoc", "nhan hang", "da nhan", "an thu", "an roi", "xai roi", "dung roi",
              "uong roi", "an het", "xai het", "dung het", "uong het"))
# Hypotheticals and wishes: "bữa nào rảnh mua thử", "muốn mua ghê mà hết tiền".
_add("hypo", ("bua nao", "hom nao", "khi nao", "luc nao", "neu", "gia ma", "uoc gi", "uoc",
              "mai mot", "de mai", "de hom khac", "de bua khac", "khi khac", "de coi", "de xem",
              "suy nghi", "phan van", "can nhac", "chac se", "het tien", "khong co tien",
              "ko co tien", "k co tien", "kh co tien", "chua co tien", "chua co luong",
              "doi luong", "co luong", "lanh luong", "cuoi thang", "dau thang sau", "them qua",
              "muon mua ghe", "muon mua qua", "muon mua lam", "muon mua that", "thich mua",
              "dinh mua", "tinh mua", "dang tinh", "chac mua", "nao ranh", "ranh",
              "mun mua", "mun mua ghe", "mun mua wa", "muon mua wa", "lan sau", "dip sau",
              "sau nay", "hom khac", "bua khac", "de khi khac", "them wa", "them qa"))
# Advice to others and hearsay: "mẹ mình bảo mua ...", "ai mua ... thì ...".
_add("seed", _expand(("bao", "khuyen", "ru", "keu", "noi", "dan", "nhac", "nghe noi"),
                     ("", "minh", "em", "e", "toi", "tui", "chi", "anh", "con"), _BUY))
_add("advice", ("ai", "moi nguoi", "mn", "mng", "ca nha", "cac ban", "ae", "anh em", "ban be",
                "nen", "nghe noi", "nguoi ta", "hang xom", "chi em", "cac chi", "cac em"))
# Questions around an order word: "tết này mua gì cho ba mẹ".
_add("qphrase", _expand(_BUY, ("gi", "cai gi", "gi cho", "cho ai", "o dau", "duoc khong",
                               "duoc ko", "dc ko", "dc khong", "loai nao", "cai nao")))
_add("qphrase", ("co nen", "nen mua khong", "co ai", "an gi", "tang gi", "bieu gi", "gi",
                 "gi ngon", "nao ngon", "loai nao", "cai nao", "mua j", "lay j", "an j", "j ngon",
                 "gi z", "j z", "may gio", "may h", "bao gio"))
# Reviews: what a buyer says about something already eaten or used.
_add("rev", ("ngon", "man", "nhat", "do te", "te", "thom", "tuoi", "chac thit", "it thit",
             "ngot", "beo", "an", "xai", "uong", "dung thu", "chat luong", "hai long",
             "tuyet voi", "giao nhanh", "dong goi"))
# "... rồi": after an order word in the same clause it is a past purchase.
_add("roi", ("roi", "r"))
# Fillers: words that say nothing about the order ("nha shop ơi"); known, so not chatter.
# "của mình A2": "cua" is also a product's short name; said as a possessive it names nothing.
_add("noorder", ("cua minh", "cua em", "cua toi", "cua tui", "cua chi", "cua shop"))

FILLERS = frozenset("""
    nha nhe nhen nghen ne shop sop shp ad admin oi a ah ak da vang ok oke okie oki em e minh
    mk mik toi tui chi c anh ban voi vs giup dum gium di ik luon lun nhanh le ngay lien len
    cho hen nka nhoa please pls plz of jar jars bottle bottles box boxes i ll s me the for and
    va nua haha hihi hehe kkk nhaa nhaaa nhee oii oiii oiiii aa aaa cam on thanks thank you
    chuc chao hello hi xin tet vui ve happy new year hpny mung xuan iu yeu
""".split())
"""Words that say nothing about an order ("nha shop ơi", greetings): never counted as the
unexplained chatter that lowers an order's confidence."""


def trie_regex(phrases: Iterable[str]) -> str:
    """A regular expression matching any of ``phrases``, longest first, shaped as a trie."""
    root: dict[str, Any] = {}
    for phrase in phrases:
        node = root
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        ends = "" in node
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if ends:
            return ("(?:" + body + ")?") if len(alts) == 1 else body + "?"
        return body

    return build(root)


KEYWORDS_RE = trie_regex(KEYWORDS)
"""All of KEYWORDS as one expression, built once."""

_NEG_RE = "(?:" + "|".join(_NEG) + ")"
# What may close a question after its last word: "khong shop?", "nhieu vay".
_ASK_END = r"(?:\s(?:shop|sop|s|a|ha|vay|v|z|em|e|chi|c|ban|nhi|nhe|ta|ad))?\s?\??\s?$"
_UNIT_AHEAD = r"\s?(?:kg|kgs|kilo|ky|ki|lang|gram|gam|gr|g|ml|lit|l)\b"

LETTER_VOCAB: list[tuple[str, str]] = [
    # "chúc shop đắt hàng": a wish, whatever sits between (tried before "chuc" the filler)
    ("wish", r"chuc\b(?:\s\w+){0,4}?\sdatt?(?:\shang)?\b"),
    ("link", r"https?://\S+|www\.\S+|[a-z0-9-]++\.(?:com|vn|net|org|ly|me|shop|link)\b\S*"),
    # an address runs to the end, or to an order word or a phone label after it
    ("addr", r"(?:dia chi\b|d/c\b|dc\s?:|dc(?=\s\d)|address\b)"
             r".*?(?=[,.]?\s(?:chot|lay|mua|sdt|so dien thoai|dt|zalo)\b|$)"),
    (
        "place",
        r"(?:so nha|so(?! luong)|duong|hem|kiet|ngo|ngach|ap|to|khom|quan|q|phuong|p|f|"
        r"xa|huyen|kp|khu pho|thu|t|lau|tang|phong|lo|block|toa|can ho|tet|mung|top|"
        r"lop|khoi|diem)\.?\s?\d{1,4}(?!\d)[a-z]?(?:/\d+)*\b",
    ),
]
"""Letter-started decoys, tried before keywords."""

SPECIAL_VOCAB: list[tuple[str, str]] = [
    # "bỏ A2", "bỏ đơn", and with a count before the code: "bỏ 1 A2", "bo 2 cái A1", "bỏ x1 A2"
    # ("bỏ lỡ", "bỏ vào giỏ" are not cancels: no code or count right after "bỏ")
    ("k_cancel", r"bo(?=\s(?:don|het|ma|#|[a-z]{1,5}\d"
     r"|(?:x\s?)?(?:\d{1,3}|mot|hai|ba)\s?(?:x\s?|(?:cai|con|hop|hu|chai|tui|bich|goi|phan)\s)?"
     r"(?:[a-z]{1,5}\d|#|ma\b)))"
     r"|(?:^|(?<=^em )|(?<=^e )|(?<=^minh )|(?<=^chi )|(?<=^anh )|(?<=^toi ))"
     r"thoi\b(?!\s(?:lay|chot|mua|dat|cho))"),
    ("k_order", r"them(?=\s(?:\d|mot|hai|ba|bon|nam|[a-z]{1,5}\d))"),
    ("k_change", r"doi(?=\s[a-z]{1,5}\d)"),
    (
        "k_qword",
        r"nhieu(?=" + _ASK_END + r")|co\b(?=.*\b" + _NEG_RE + _ASK_END + r")"
        r"|(?:" + _NEG_RE + r"|ha|chua|nhi)(?=" + _ASK_END + ")",
    ),
]
"""Keywords that depend on what follows them; the kind is the name without "k_"."""

DIGIT_VOCAB: list[tuple[str, str]] = [
    (
        "phone",
        r"(?<![\d+])(?:\+?84\)?[\s.-]?(?:\(0\)\s?|0)?|0)[\s.-]?"
        r"(?P<ph>[35789](?:[\s.-]?\d){8})(?!\d)",
    ),
    ("long", r"\d{6,}"),
    (
        "price",
        r"(?<![\w.,])\d+(?:[.,]\d+)*(?:k|\s?(?:(?:tr|trieu|cu)\d*|ngan|nghin|vnd|dong|d))\b"
        r"|(?<![\w.,])\d{1,3}(?:[.,]\d{3})+(?![\d.,]|" + _UNIT_AHEAD + ")",
    ),
    ("date", r"(?<![\w.,/])\d{1,2}[/-]\d{1,2}(?:[/-]\d{2,4})?(?![\d/])"),
    ("time", r"(?<![\w.,])\d{1,2}(?::\d{2}|h\d{0,2}\b|\s?gio\b)"),
    (
        "decoy",
        r"(?<![\w.,])\d+\s?(?:ngay|hom|tuan|thang|nam|tuoi|nguoi|sao|lan|tieng|phut|p|"
        r"km|m|cm|mm|%|diem|dua|be|chau|dem|tet|tang|lau|phong|gio|ae|anh em|mon|khach|"
        r"live|like|share|follow)(?![a-z\d])|(?<![\w.,])(?:19|20)\d{2}(?!\d)",
    ),
]
"""Digit-started decoys and phones, tried before quantities."""

SKIP = frozenset({"link", "addr", "place", "long", "price", "date", "time", "decoy", "noorder",
                  "fill", "wish"})
"""Token kinds that are recognised only so that their digits and words are ignored."""
