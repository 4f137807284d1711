"""Typed reason codes: why a comment was read the way it was, or why it needs a person.

A reason is a code with optional arguments, written ``code`` or ``code:arg1:arg2``
(``variant_unclear:A3``, ``qty_over_max:60:50``). The parser, the stores and the consoles
pass the code along; people see it rendered in Vietnamese or English
(:func:`describe` here, ``livesell/web/i18n/reasons.json`` in the browser). A reason that is
not a known code (older data) is shown as it is.
"""

from __future__ import annotations

# -- readings (what came of a comment) ----------------------------------------------------
ORDER_CODE = "order_code"
ORDER_NAME = "order_name"
ORDER_PINNED = "order_pinned"
CHAT = "chat"
ALREADY = "already_ordered"
NOT_NOW = "not_now"
SEEDING = "seeding"
FRAMED = "framed"  # past purchase, review, hypothetical or advice: not an order
QUESTION = "question"
CANCEL = "cancel"

# -- review (a person decides) ------------------------------------------------------------
ALREADY_AND_ORDER = "already_and_order"
CANCEL_AND_ORDER = "cancel_and_order"
CHANGE = "change_order"
BULK = "bulk"
AMBIGUOUS_NAME = "ambiguous_name"  # :name
UNKNOWN_CODE = "unknown_code"  # :code
CANCEL_NO_PINNED = "cancel_no_pinned"
NO_PINNED = "no_pinned"
BARE_NUMBER = "bare_number"
CONFLICTING_QTY = "conflicting_qty"  # :code
SEVERAL_VARIANTS = "several_variants"  # :code
NO_SUCH_SIZE = "no_such_size"  # :code:size
VARIANT_UNCLEAR = "variant_unclear"  # :code
BAD_QTY = "bad_qty"  # :code:qty
QTY_OVER_MAX = "qty_over_max"  # :qty:max
NAMED_TWICE = "named_twice"  # :code
FRAMED_ORDER = "framed_order"  # order words beside a past/hypothetical frame
LOW_CONFIDENCE = "low_confidence"  # :percent:reading
UNKNOWN_VARIANT = "unknown_variant"  # :code:label
BUYER_LIMIT = "buyer_limit"  # :max:code
ANONYMOUS_LIMIT = "anonymous_limit"  # :max (units a buyer may have without a phone)
ADDRESS_LIMIT = "address_limit"  # :max (units open orders from one address may hold)
# first paid, first served: paid, but the units went to someone who paid first
PAID_SOLD_OUT = "paid_sold_out"  # :order:what
UNCLEAR = "unclear_order"
# -- platform changes after capture (Facebook Page webhooks) ------------------------------
EDITED = "edited_on_platform"  # :platform
EDITED_ORDER = "edited_on_platform_order"  # :platform:order
DELETED = "deleted_on_platform"  # :platform
DELETED_ORDER = "deleted_on_platform_order"  # :platform:order

TEXTS: dict[str, tuple[str, str]] = {
    ORDER_CODE: ("đặt theo mã", "order by code"),
    ORDER_NAME: ("đặt theo tên sản phẩm", "order by product name"),
    ORDER_PINNED: ("đặt sản phẩm đang ghim", "order for the pinned product"),
    CHAT: ("không phải đơn", "no order"),
    ALREADY: ("đã đặt trước đó", "already ordered"),
    NOT_NOW: ("để lần sau", "not now"),
    SEEDING: ("rủ người khác mua", "tells others to buy"),
    FRAMED: ("kể chuyện đã mua, nhận xét hoặc giả định", "past purchase, review or hypothetical"),
    QUESTION: ("câu hỏi", "question"),
    CANCEL: ("hủy", "cancel"),
    ALREADY_AND_ORDER: ("vừa nói đã đặt vừa đặt thêm", "already-ordered phrase with a new order"),
    CANCEL_AND_ORDER: ("vừa hủy vừa đặt", "cancel and order in one comment"),
    CHANGE: ("muốn đổi hoặc giữ một phần đơn", "asks to change or keep part of an order"),
    BULK: ("muốn lấy hết hàng", "asks for all the stock"),
    AMBIGUOUS_NAME: ("tên “{0}” khớp nhiều sản phẩm", "product name '{0}' matches several"),
    UNKNOWN_CODE: ("mã {0} không có trong phiên live", "unknown code {0}"),
    CANCEL_NO_PINNED: ("hủy số lượng khi chưa ghim sản phẩm",
                       "cancel a quantity with nothing pinned"),
    NO_PINNED: ("muốn đặt nhưng chưa ghim sản phẩm, không có mã",
                "order with nothing pinned and no code"),
    BARE_NUMBER: ("chỉ có một con số", "bare number without a product"),
    CONFLICTING_QTY: ("số lượng {0} mâu thuẫn", "conflicting quantities for {0}"),
    SEVERAL_VARIANTS: ("nhiều loại của {0} cùng lúc", "several variants of {0}"),
    NO_SUCH_SIZE: ("{0} không có loại {1}", "no variant {1} of {0}"),
    VARIANT_UNCLEAR: ("loại nào của {0}?", "which variant of {0}?"),
    BAD_QTY: ("số lượng {1} cho {0}", "quantity {1} for {0}"),
    QTY_OVER_MAX: ("số lượng {0} vượt mức {1}", "quantity {0} over the maximum {1}"),
    NAMED_TWICE: ("{0} nêu hai lần với số lượng khác nhau",
                  "{0} named twice with different quantities"),
    FRAMED_ORDER: ("có mã nhưng câu chuyện là đã mua hoặc giả định",
                   "order words inside a past or hypothetical frame"),
    LOW_CONFIDENCE: ("chưa chắc là đơn (độ tin cậy {0}%): {1}",
                     "not sure it is an order ({0}%): {1}"),
    UNKNOWN_VARIANT: ("{0} không có loại {1}", "unknown variant {1} of {0}"),
    BUYER_LIMIT: ("tối đa {0} mỗi người cho {1}", "limit {0} per buyer for {1}"),
    ANONYMOUS_LIMIT: ("tối đa {0} khi chưa có số điện thoại", "limit {0} without a phone"),
    ADDRESS_LIMIT: ("tối đa {0} cho mỗi địa chỉ mạng", "limit {0} per address"),
    PAID_SOLD_OUT: ("CẢNH BÁO: đơn {0} đã trả tiền nhưng hết hàng ({1}): cần hoàn tiền",
                    "ALERT: order {0} paid but sold out ({1}): refund due"),
    UNCLEAR: ("đơn chưa rõ", "unclear order"),
    EDITED: ("bình luận đã sửa trên {0} sau khi ghi nhận",
              "edited on {0} after capture"),
    EDITED_ORDER: ("bình luận đã sửa trên {0} sau khi ghi nhận (đơn {1} giữ nguyên)",
              "edited on {0} after capture (order {1} unchanged)"),
    DELETED: ("người mua đã xóa bình luận trên {0}",
              "deleted on {0} by the buyer"),
    DELETED_ORDER: ("người mua đã xóa bình luận trên {0}; đơn {1} vẫn giữ, hãy hỏi lại người mua",
              "deleted on {0} by the buyer; order {1} kept, check with the buyer"),
}
_ARITY = {code: max((t.count("{") for t in texts), default=0) for code, texts in TEXTS.items()}


def reason(code: str, *args: object) -> str:
    """The reason string for ``code`` with its arguments: ``reason("x", "A3")`` is ``x:A3``."""
    return ":".join([code, *(str(a) for a in args)]) if args else code


def split(text: str) -> tuple[str, list[str]]:
    """The code and the arguments of a reason string."""
    code, _, rest = text.partition(":")
    arity = _ARITY.get(code)
    if arity is None:
        return text, []
    return code, (rest.split(":", arity - 1) if arity and rest else [])


def describe(text: str, lang: str = "vi") -> str:
    """A reason (or several joined by "; ") in words, Vietnamese or English."""
    out = []
    for part in text.split("; "):
        code, args = split(part)
        texts = TEXTS.get(code)
        if texts is None:
            out.append(part)
            continue
        template = texts[0 if lang == "vi" else 1]
        out.append(template.format(*args, *[""] * 3))
    return "; ".join(out)
