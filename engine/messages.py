"""Messages for answer validation errors, in English and Arabic.

These are what a clinician sees next to a field. Definition authors override them per
constraint (`constraints[].message`); everything else comes from this table. Placeholders
are filled with ``str.format`` from the error's parameters.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "required": {"en": "This field is required.", "ar": "هذا الحقل مطلوب."},
    "not_integer": {"en": "Enter a whole number.", "ar": "أدخل عددًا صحيحًا."},
    "not_number": {"en": "Enter a number.", "ar": "أدخل رقمًا."},
    "not_date": {"en": "Enter a date (YYYY-MM-DD).", "ar": "أدخل تاريخًا (سنة-شهر-يوم)."},
    "not_datetime": {"en": "Enter a date and time.", "ar": "أدخل التاريخ والوقت."},
    "not_time": {"en": "Enter a time (HH:MM).", "ar": "أدخل الوقت (ساعة:دقيقة)."},
    "not_boolean": {"en": "Choose yes or no.", "ar": "اختر نعم أو لا."},
    "not_text": {"en": "Enter text.", "ar": "أدخل نصًا."},
    "bad_option": {"en": "'{value}' is not one of the choices.", "ar": "'{value}' ليس من الخيارات المتاحة."},
    "bad_unit": {"en": "Unit '{unit}' is not allowed here; use {allowed}.", "ar": "الوحدة '{unit}' غير مسموحة هنا؛ استخدم {allowed}."},
    "bad_file": {"en": "The file reference is not valid; upload the file again.", "ar": "مرجع الملف غير صالح؛ ارفع الملف مرة أخرى."},
    "bad_media_type": {"en": "Files of type {media_type} are not accepted; use {allowed}.", "ar": "لا تُقبل الملفات من نوع {media_type}؛ استخدم {allowed}."},
    "too_large": {"en": "The file is {size_kb} KB; the limit is {max_kb} KB.", "ar": "حجم الملف {size_kb} كيلوبايت؛ والحد الأقصى {max_kb} كيلوبايت."},
    "min": {"en": "Must be at least {min}.", "ar": "يجب ألا يقل عن {min}."},
    "max": {"en": "Must be at most {max}.", "ar": "يجب ألا يزيد على {max}."},
    "min_length": {"en": "Enter at least {min_length} characters.", "ar": "أدخل {min_length} حرفًا على الأقل."},
    "max_length": {"en": "Enter at most {max_length} characters.", "ar": "أدخل {max_length} حرفًا على الأكثر."},
    "min_choices": {"en": "Choose at least {min_length}.", "ar": "اختر {min_length} على الأقل."},
    "max_choices": {"en": "Choose at most {max_length}.", "ar": "اختر {max_length} على الأكثر."},
    "pattern": {"en": "The format is not valid.", "ar": "الصيغة غير صحيحة."},
    "min_rows": {"en": "Add at least {min_rows} rows.", "ar": "أضف {min_rows} صفوف على الأقل."},
    "max_rows": {"en": "At most {max_rows} rows are allowed.", "ar": "يُسمح بـ {max_rows} صفوف على الأكثر."},
    "bad_rows": {"en": "The rows could not be read.", "ar": "تعذرت قراءة الصفوف."},
    "readonly": {"en": "This field cannot be changed.", "ar": "لا يمكن تغيير هذا الحقل."},
    "constraint": {"en": "The value is not valid.", "ar": "القيمة غير صالحة."},
}


def message(code: str, locale: str, params: dict[str, Any] | None = None) -> str:
    """The message for ``code`` in ``locale`` (English when the locale has none)."""
    table = MESSAGES.get(code, MESSAGES["constraint"])
    template = table.get(locale) or table["en"]
    try:
        return template.format(**(params or {}))
    except (KeyError, IndexError, ValueError):
        return template
