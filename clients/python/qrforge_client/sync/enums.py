from enum import Enum


class BulkJobStatus(str, Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class CodeShape(str, Enum):
    SQUARE = "SQUARE"
    CIRCLE = "CIRCLE"


class ErrorCorrection(str, Enum):
    L = "L"
    M = "M"
    Q = "Q"
    H = "H"


class FinderShape(str, Enum):
    SQUARE = "SQUARE"
    ROUNDED = "ROUNDED"
    DOT = "DOT"


class FrameStyle(str, Enum):
    BOX = "BOX"
    ROUNDED = "ROUNDED"
    BANNER_TOP = "BANNER_TOP"
    BUBBLE = "BUBBLE"


class GradientType(str, Enum):
    LINEAR = "LINEAR"
    RADIAL = "RADIAL"


class ImageFormat(str, Enum):
    PNG = "PNG"
    SVG = "SVG"
    JPEG = "JPEG"
    PDF = "PDF"


class LabelTemplate(str, Enum):
    A4_3X8 = "A4_3X8"
    LETTER_3X10 = "LETTER_3X10"
    AVERY_5160 = "AVERY_5160"
    AVERY_5163 = "AVERY_5163"
    AVERY_L7160 = "AVERY_L7160"
    AVERY_L7163 = "AVERY_L7163"
    CUSTOM = "CUSTOM"


class LinkStatus(str, Enum):
    ACTIVE = "ACTIVE"
    DISABLED = "DISABLED"
    SCHEDULED = "SCHEDULED"
    EXPIRED = "EXPIRED"
    EXHAUSTED = "EXHAUSTED"


class ModuleShape(str, Enum):
    SQUARE = "SQUARE"
    ROUNDED = "ROUNDED"
    DOTS = "DOTS"
    CLASSY = "CLASSY"


class QrCodeKind(str, Enum):
    STATIC = "STATIC"
    DYNAMIC = "DYNAMIC"


class QrDataType(str, Enum):
    URL = "URL"
    TEXT = "TEXT"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    SMS = "SMS"
    WIFI = "WIFI"
    VCARD = "VCARD"
    MECARD = "MECARD"
    GEO = "GEO"
    EVENT = "EVENT"
    CRYPTO = "CRYPTO"
    EPC = "EPC"


class RuleConditionType(str, Enum):
    DEVICE = "DEVICE"
    OS = "OS"
    COUNTRY = "COUNTRY"
    LANGUAGE = "LANGUAGE"
    QUERY_PARAM = "QUERY_PARAM"
    BEFORE = "BEFORE"
    AFTER = "AFTER"
    IP_CIDR = "IP_CIDR"


class ScanSource(str, Enum):
    QR = "QR"
    LINK = "LINK"


class WebhookEvent(str, Enum):
    SCAN_CREATED = "SCAN_CREATED"
    LINK_CREATED = "LINK_CREATED"
    LINK_UPDATED = "LINK_UPDATED"
    LINK_DELETED = "LINK_DELETED"
    BULK_COMPLETED = "BULK_COMPLETED"
