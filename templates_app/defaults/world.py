"""Built-in texts of the languages of the Middle East, Asia and Africa."""

# Arabic counts: one, two (dual), three to ten (plural), eleven and up (singular accusative).
_AR_MINUTES = (
    "{% if expiry_minutes == 1 %}دقيقة واحدة{% elif expiry_minutes == 2 %}دقيقتين"
    "{% elif expiry_minutes <= 10 %}{{ expiry_minutes }} دقائق{% else %}{{ expiry_minutes }} دقيقة{% endif %}"
)
_HE_MINUTES = "{% if expiry_minutes == 1 %}דקה אחת{% else %}{{ expiry_minutes }} דקות{% endif %}"

TEXTS = {
    "ar": {
        "name": "العربية",
        "dir": "rtl",
        "subject": "رمز التحقق الخاص بك في {{ app_name }}",
        "lead": "رمز التحقق الخاص بك في {{ app_name }} هو:",
        "expiry": f"الرمز صالح لمدة {_AR_MINUTES}.",
        "caution": "إذا لم تطلب هذا الرمز، يمكنك تجاهل هذه الرسالة. لا تشارك هذا الرمز مع أي شخص.",
        "sms": f"رمز التحقق في {{{{ app_name }}}}: {{{{ otp }}}}. صالح لمدة {_AR_MINUTES}.",
        "whatsapp": "*{{ otp }}* هو رمز التحقق الخاص بك في {{ app_name }}. حفاظًا على أمانك، لا تشارك هذا الرمز "
        f"مع أي شخص. الرمز صالح لمدة {_AR_MINUTES}.",
    },
    "he": {
        "name": "עברית",
        "dir": "rtl",
        "subject": "קוד האימות שלך ל-{{ app_name }}",
        "lead": "קוד האימות שלך ל-{{ app_name }} הוא:",
        "expiry": f"הקוד בתוקף למשך {_HE_MINUTES}.",
        "caution": "אם לא ביקשת את הקוד, אפשר להתעלם מהודעה זו. אין למסור את הקוד לאף אחד.",
        "sms": f"{{{{ otp }}}} הוא הקוד שלך ל-{{{{ app_name }}}}. בתוקף {_HE_MINUTES}.",
        "whatsapp": "*{{ otp }}* הוא קוד האימות שלך ל-{{ app_name }}. מטעמי אבטחה, אין למסור את הקוד לאף אחד. "
        f"הקוד בתוקף למשך {_HE_MINUTES}.",
    },
    "fa": {
        "name": "فارسی",
        "dir": "rtl",
        "subject": "کد تأیید شما برای {{ app_name }}",
        "lead": "کد تأیید شما برای {{ app_name }}:",
        "expiry": "این کد تا {{ expiry_minutes }} دقیقه معتبر است.",
        "caution": "اگر این کد را درخواست نکرده‌اید، این ایمیل را نادیده بگیرید. این کد را در اختیار هیچ‌کس قرار ندهید.",
        "sms": "کد تأیید {{ app_name }}: {{ otp }}\nاعتبار: {{ expiry_minutes }} دقیقه",
        "whatsapp": "*{{ otp }}* کد تأیید شما برای {{ app_name }} است. برای حفظ امنیت، این کد را با کسی به اشتراک "
        "نگذارید. این کد تا {{ expiry_minutes }} دقیقه معتبر است.",
    },
    "hi": {
        "name": "हिन्दी",
        "subject": "आपका {{ app_name }} सत्यापन कोड",
        "lead": "आपका {{ app_name }} सत्यापन कोड है:",
        "expiry": "यह कोड {{ expiry_minutes }} मिनट तक मान्य है।",
        "caution": "अगर आपने यह कोड नहीं माँगा है, तो इस ईमेल को अनदेखा करें। यह कोड किसी के साथ साझा न करें।",
        "sms": "{{ otp }} आपका {{ app_name }} कोड है। {{ expiry_minutes }} मिनट तक मान्य।",
        "whatsapp": "*{{ otp }}* आपका {{ app_name }} सत्यापन कोड है। अपनी सुरक्षा के लिए इसे किसी के साथ साझा न "
        "करें। यह कोड {{ expiry_minutes }} मिनट तक मान्य है।",
    },
    "bn": {
        "name": "বাংলা",
        "subject": "আপনার {{ app_name }} যাচাইকরণ কোড",
        "lead": "আপনার {{ app_name }} যাচাইকরণ কোড:",
        "expiry": "কোডটি {{ expiry_minutes }} মিনিট পর্যন্ত বৈধ।",
        "caution": "আপনি এই কোডটি না চেয়ে থাকলে এই ইমেলটি উপেক্ষা করুন। কোডটি কখনো কারো সাথে শেয়ার করবেন না।",
        "sms": "{{ otp }} আপনার {{ app_name }} কোড। {{ expiry_minutes }} মিনিট বৈধ।",
        "whatsapp": "*{{ otp }}* আপনার {{ app_name }} যাচাইকরণ কোড। নিরাপত্তার জন্য এটি কারো সাথে শেয়ার করবেন না। "
        "কোডটি {{ expiry_minutes }} মিনিট পর্যন্ত বৈধ।",
    },
    "id": {
        "name": "Bahasa Indonesia",
        "subject": "Kode verifikasi {{ app_name }} Anda",
        "lead": "Kode verifikasi {{ app_name }} Anda adalah:",
        "expiry": "Kode ini berlaku selama {{ expiry_minutes }} menit.",
        "caution": "Jika Anda tidak meminta kode ini, abaikan email ini. Jangan berikan kode ini kepada siapa pun.",
        "sms": "{{ otp }} adalah kode {{ app_name }} Anda. Berlaku {{ expiry_minutes }} menit.",
        "whatsapp": "*{{ otp }}* adalah kode verifikasi {{ app_name }} Anda. Demi keamanan, jangan bagikan kode ini "
        "kepada siapa pun. Kode berlaku selama {{ expiry_minutes }} menit.",
    },
    "ms": {
        "name": "Bahasa Melayu",
        "subject": "Kod pengesahan {{ app_name }} anda",
        "lead": "Kod pengesahan {{ app_name }} anda ialah:",
        "expiry": "Kod ini sah selama {{ expiry_minutes }} minit.",
        "caution": "Jika anda tidak meminta kod ini, abaikan e-mel ini. Jangan kongsi kod ini dengan sesiapa.",
        "sms": "{{ otp }} ialah kod {{ app_name }} anda. Sah selama {{ expiry_minutes }} minit.",
        "whatsapp": "*{{ otp }}* ialah kod pengesahan {{ app_name }} anda. Demi keselamatan, jangan kongsi kod ini "
        "dengan sesiapa. Kod sah selama {{ expiry_minutes }} minit.",
    },
    "fil": {
        "name": "Filipino",
        "subject": "Ang iyong verification code para sa {{ app_name }}",
        "lead": "Ang iyong verification code para sa {{ app_name }} ay:",
        "expiry": "Valid ang code na ito sa loob ng {{ expiry_minutes }} minuto.",
        "caution": "Kung hindi ikaw ang humiling ng code na ito, huwag pansinin ang email na ito. Huwag itong "
        "ibahagi kaninuman.",
        "sms": "{{ otp }} ang code mo sa {{ app_name }}. Valid nang {{ expiry_minutes }} minuto.",
        "whatsapp": "*{{ otp }}* ang iyong verification code para sa {{ app_name }}. Para sa iyong seguridad, huwag "
        "itong ibahagi kaninuman. Valid ito sa loob ng {{ expiry_minutes }} minuto.",
    },
    "th": {
        "name": "ไทย",
        "subject": "รหัสยืนยัน {{ app_name }} ของคุณ",
        "lead": "รหัสยืนยัน {{ app_name }} ของคุณคือ:",
        "expiry": "รหัสนี้ใช้ได้ภายใน {{ expiry_minutes }} นาที",
        "caution": "หากคุณไม่ได้ขอรหัสนี้ โปรดละเว้นอีเมลฉบับนี้ และอย่าบอกรหัสนี้แก่ผู้อื่น",
        "sms": "รหัส {{ app_name }} ของคุณคือ {{ otp }} ใช้ได้ {{ expiry_minutes }} นาที",
        "whatsapp": "*{{ otp }}* คือรหัสยืนยัน {{ app_name }} ของคุณ เพื่อความปลอดภัย โปรดอย่าบอกรหัสนี้แก่ผู้อื่น "
        "รหัสนี้ใช้ได้ภายใน {{ expiry_minutes }} นาที",
    },
    "vi": {
        "name": "Tiếng Việt",
        "subject": "Mã xác minh {{ app_name }} của bạn",
        "lead": "Mã xác minh {{ app_name }} của bạn là:",
        "expiry": "Mã có hiệu lực trong {{ expiry_minutes }} phút.",
        "caution": "Nếu bạn không yêu cầu mã này, hãy bỏ qua email này. Tuyệt đối không chia sẻ mã với bất kỳ ai.",
        "sms": "Mã {{ app_name }} của bạn là {{ otp }}, hiệu lực {{ expiry_minutes }} phút.",
        "whatsapp": "*{{ otp }}* là mã xác minh {{ app_name }} của bạn. Vì lý do bảo mật, không chia sẻ mã này với "
        "bất kỳ ai. Mã có hiệu lực trong {{ expiry_minutes }} phút.",
    },
    "zh": {
        "name": "简体中文",
        "subject": "您的{{ app_name }}验证码",
        "lead": "您的{{ app_name }}验证码是：",
        "expiry": "验证码{{ expiry_minutes }}分钟内有效。",
        "caution": "如果这不是您本人的操作，请忽略此邮件。请勿将验证码告诉任何人。",
        "sms": "您的{{ app_name }}验证码是{{ otp }}，{{ expiry_minutes }}分钟内有效。请勿泄露给他人。",
        "whatsapp": "*{{ otp }}* 是您的{{ app_name }}验证码。为了您的安全，请勿将验证码告诉他人。"
        "验证码{{ expiry_minutes }}分钟内有效。",
    },
    "zh-Hant": {
        "name": "繁體中文",
        "subject": "您的{{ app_name }}驗證碼",
        "lead": "您的{{ app_name }}驗證碼是：",
        "expiry": "驗證碼{{ expiry_minutes }}分鐘內有效。",
        "caution": "如果這不是您本人的操作，請忽略此郵件。請勿將驗證碼告訴任何人。",
        "sms": "您的{{ app_name }}驗證碼是{{ otp }}，{{ expiry_minutes }}分鐘內有效。請勿洩露給他人。",
        "whatsapp": "*{{ otp }}* 是您的{{ app_name }}驗證碼。為了您的安全，請勿將驗證碼告訴他人。"
        "驗證碼{{ expiry_minutes }}分鐘內有效。",
    },
    "ja": {
        "name": "日本語",
        "subject": "{{ app_name }}の確認コード",
        "lead": "{{ app_name }}の確認コードは次のとおりです。",
        "expiry": "このコードの有効期限は{{ expiry_minutes }}分です。",
        "caution": "お心当たりのない場合は、このメールを破棄してください。このコードは誰にも教えないでください。",
        "sms": "{{ app_name }}の確認コードは{{ otp }}です。{{ expiry_minutes }}分間有効です。他人に教えないでください。",
        "whatsapp": "*{{ otp }}* は{{ app_name }}の確認コードです。セキュリティのため、このコードは誰にも教えないで"
        "ください。有効期限は{{ expiry_minutes }}分です。",
    },
    "ko": {
        "name": "한국어",
        "subject": "{{ app_name }} 인증번호 안내",
        "lead": "{{ app_name }} 인증번호는 다음과 같습니다.",
        "expiry": "인증번호는 {{ expiry_minutes }}분 동안 유효합니다.",
        "caution": "본인이 요청하지 않았다면 이 메일을 무시하세요. 인증번호를 다른 사람에게 절대 알려주지 마세요.",
        "sms": "[{{ app_name }}] 인증번호 {{ otp }} ({{ expiry_minutes }}분 내 입력). 타인에게 알려주지 마세요.",
        "whatsapp": "{{ app_name }} 인증번호는 *{{ otp }}*입니다. 보안을 위해 다른 사람에게 알려주지 마세요. "
        "{{ expiry_minutes }}분 동안 유효합니다.",
    },
    "sw": {
        "name": "Kiswahili",
        "subject": "Msimbo wako wa uthibitisho wa {{ app_name }}",
        "lead": "Msimbo wako wa uthibitisho wa {{ app_name }} ni:",
        "expiry": "Msimbo huu ni halali kwa dakika {{ expiry_minutes }}.",
        "caution": "Ikiwa hukuomba msimbo huu, puuza barua pepe hii. Usimpe mtu yeyote msimbo huu.",
        "sms": "{{ otp }} ni msimbo wa {{ app_name }}. Halali kwa dakika {{ expiry_minutes }}.",
        "whatsapp": "*{{ otp }}* ni msimbo wako wa uthibitisho wa {{ app_name }}. Kwa usalama wako, usimpe mtu yeyote "
        "msimbo huu. Ni halali kwa dakika {{ expiry_minutes }}.",
    },
}
