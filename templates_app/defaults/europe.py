"""Built-in texts of the European languages (Latin, Cyrillic and Greek scripts)."""

# Each: the language's name in itself, the email's subject, lead line (before the code), expiry and
# caution lines, and the whole SMS and WhatsApp texts. Django template syntax, sandboxed.
TEXTS = {
    "en": {
        "name": "English",
        "subject": "Your {{ app_name }} verification code",
        "lead": "Your {{ app_name }} verification code is:",
        "expiry": "It expires in {{ expiry_minutes }} minute{{ expiry_minutes|pluralize }}.",
        "caution": "If you did not request it, you can ignore this email. Never share this code with anyone.",
        "sms": "{{ otp }} is your {{ app_name }} code. Expires in {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* is your {{ app_name }} verification code. For your security, do not share this "
        "code. It expires in {{ expiry_minutes }} minute{{ expiry_minutes|pluralize }}.",
    },
    "es": {
        "name": "Español",
        "subject": "Tu código de verificación de {{ app_name }}",
        "lead": "Tu código de verificación de {{ app_name }} es:",
        "expiry": "Caduca en {{ expiry_minutes }} minuto{{ expiry_minutes|pluralize }}.",
        "caution": "Si no lo has solicitado, puedes ignorar este correo. No compartas este código con nadie.",
        "sms": "{{ otp }} es tu código de {{ app_name }}. Caduca en {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* es tu código de verificación de {{ app_name }}. Por tu seguridad, no lo compartas. "
        "Caduca en {{ expiry_minutes }} minuto{{ expiry_minutes|pluralize }}.",
    },
    "fr": {
        "name": "Français",
        "subject": "Votre code de vérification {{ app_name }}",
        "lead": "Votre code de vérification {{ app_name }} est :",
        "expiry": "Il expire dans {{ expiry_minutes }} minute{{ expiry_minutes|pluralize }}.",
        "caution": "Si vous n'êtes pas à l'origine de cette demande, ignorez cet e-mail. Ne communiquez jamais "
        "ce code à personne.",
        "sms": "{{ otp }} est votre code {{ app_name }}. Valable {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* est votre code de vérification {{ app_name }}. Pour votre sécurité, ne le "
        "communiquez à personne. Il expire dans {{ expiry_minutes }} minute{{ expiry_minutes|pluralize }}.",
    },
    "de": {
        "name": "Deutsch",
        "subject": "Ihr Bestätigungscode für {{ app_name }}",
        "lead": "Ihr Bestätigungscode für {{ app_name }} lautet:",
        "expiry": "Er ist {{ expiry_minutes }} Minute{{ expiry_minutes|pluralize:'n' }} gültig.",
        "caution": "Falls Sie diesen Code nicht angefordert haben, können Sie diese E-Mail ignorieren. Geben Sie "
        "den Code niemals weiter.",
        "sms": "{{ otp }} ist Ihr Code für {{ app_name }}. Gültig {{ expiry_minutes }} Min.",
        "whatsapp": "*{{ otp }}* ist Ihr Bestätigungscode für {{ app_name }}. Geben Sie diesen Code zu Ihrer "
        "Sicherheit nicht weiter. Er ist {{ expiry_minutes }} Minute{{ expiry_minutes|pluralize:'n' }} gültig.",
    },
    "it": {
        "name": "Italiano",
        "subject": "Il tuo codice di verifica {{ app_name }}",
        "lead": "Il tuo codice di verifica {{ app_name }} è:",
        "expiry": "Scade tra {{ expiry_minutes }} minut{{ expiry_minutes|pluralize:'o,i' }}.",
        "caution": "Se non l'hai richiesto, puoi ignorare questa email. Non condividere mai questo codice con nessuno.",
        "sms": "{{ otp }} è il tuo codice per {{ app_name }}. Scade tra {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* è il tuo codice di verifica {{ app_name }}. Per la tua sicurezza, non condividerlo "
        "con nessuno. Scade tra {{ expiry_minutes }} minut{{ expiry_minutes|pluralize:'o,i' }}.",
    },
    "pt": {
        "name": "Português (Portugal)",
        "subject": "O seu código de verificação {{ app_name }}",
        "lead": "O seu código de verificação {{ app_name }} é:",
        "expiry": "Expira dentro de {{ expiry_minutes }} minuto{{ expiry_minutes|pluralize }}.",
        "caution": "Se não pediu este código, pode ignorar este email. Nunca partilhe este código com ninguém.",
        "sms": "{{ otp }} é o seu código para {{ app_name }}. Expira em {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* é o seu código de verificação {{ app_name }}. Por motivos de segurança, não o "
        "partilhe. Expira dentro de {{ expiry_minutes }} minuto{{ expiry_minutes|pluralize }}.",
    },
    "pt-BR": {
        "name": "Português (Brasil)",
        "subject": "Seu código de verificação {{ app_name }}",
        "lead": "Seu código de verificação {{ app_name }} é:",
        "expiry": "Ele expira em {{ expiry_minutes }} minuto{{ expiry_minutes|pluralize }}.",
        "caution": "Se você não solicitou este código, ignore este e-mail. Nunca compartilhe este código com ninguém.",
        "sms": "{{ otp }} é seu código para {{ app_name }}. Expira em {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* é seu código de verificação {{ app_name }}. Por segurança, não o compartilhe. "
        "Ele expira em {{ expiry_minutes }} minuto{{ expiry_minutes|pluralize }}.",
    },
    "ca": {
        "name": "Català",
        "subject": "El teu codi de verificació de {{ app_name }}",
        "lead": "El teu codi de verificació de {{ app_name }} és:",
        "expiry": "Caduca d'aquí a {{ expiry_minutes }} minut{{ expiry_minutes|pluralize }}.",
        "caution": "Si no l'has demanat, pots ignorar aquest correu. No comparteixis mai aquest codi amb ningú.",
        "sms": "{{ otp }} és el teu codi de {{ app_name }}. Caduca en {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* és el teu codi de verificació de {{ app_name }}. Per seguretat, no el comparteixis. "
        "Caduca d'aquí a {{ expiry_minutes }} minut{{ expiry_minutes|pluralize }}.",
    },
    "nl": {
        "name": "Nederlands",
        "subject": "Je verificatiecode voor {{ app_name }}",
        "lead": "Je verificatiecode voor {{ app_name }} is:",
        "expiry": "De code verloopt over {{ expiry_minutes }} minu{{ expiry_minutes|pluralize:'ut,ten' }}.",
        "caution": "Heb je deze code niet aangevraagd? Dan kun je deze e-mail negeren. Deel deze code nooit met anderen.",
        "sms": "{{ otp }} is je code voor {{ app_name }}. Verloopt over {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* is je verificatiecode voor {{ app_name }}. Deel deze code voor je veiligheid met "
        "niemand. De code verloopt over {{ expiry_minutes }} minu{{ expiry_minutes|pluralize:'ut,ten' }}.",
    },
    "sv": {
        "name": "Svenska",
        "subject": "Din verifieringskod för {{ app_name }}",
        "lead": "Din verifieringskod för {{ app_name }} är:",
        "expiry": "Koden är giltig i {{ expiry_minutes }} minut{{ expiry_minutes|pluralize:'er' }}.",
        "caution": "Om du inte har begärt koden kan du bortse från det här mejlet. Dela aldrig koden med någon.",
        "sms": "{{ otp }} är din kod för {{ app_name }}. Giltig i {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* är din verifieringskod för {{ app_name }}. Av säkerhetsskäl ska du inte dela koden "
        "med någon. Den är giltig i {{ expiry_minutes }} minut{{ expiry_minutes|pluralize:'er' }}.",
    },
    "da": {
        "name": "Dansk",
        "subject": "Din bekræftelseskode til {{ app_name }}",
        "lead": "Din bekræftelseskode til {{ app_name }} er:",
        "expiry": "Koden er gyldig i {{ expiry_minutes }} minut{{ expiry_minutes|pluralize:'ter' }}.",
        "caution": "Hvis du ikke har bedt om koden, kan du se bort fra denne e-mail. Del aldrig koden med nogen.",
        "sms": "{{ otp }} er din kode til {{ app_name }}. Gyldig i {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* er din bekræftelseskode til {{ app_name }}. Del ikke koden med nogen af hensyn til "
        "din sikkerhed. Den er gyldig i {{ expiry_minutes }} minut{{ expiry_minutes|pluralize:'ter' }}.",
    },
    "nb": {
        "name": "Norsk bokmål",
        "subject": "Bekreftelseskoden din for {{ app_name }}",
        "lead": "Bekreftelseskoden din for {{ app_name }} er:",
        "expiry": "Koden er gyldig i {{ expiry_minutes }} minutt{{ expiry_minutes|pluralize:'er' }}.",
        "caution": "Hvis du ikke har bedt om denne koden, kan du se bort fra denne e-posten. Del aldri koden med noen.",
        "sms": "{{ otp }} er koden din for {{ app_name }}. Gyldig i {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* er bekreftelseskoden din for {{ app_name }}. Av sikkerhetshensyn må du ikke dele "
        "koden med noen. Den er gyldig i {{ expiry_minutes }} minutt{{ expiry_minutes|pluralize:'er' }}.",
    },
    "fi": {
        "name": "Suomi",
        "subject": "Vahvistuskoodisi palveluun {{ app_name }}",
        "lead": "Vahvistuskoodisi palveluun {{ app_name }} on:",
        "expiry": "Koodi on voimassa {{ expiry_minutes }} minuut{{ expiry_minutes|pluralize:'ti,tia' }}.",
        "caution": "Jos et pyytänyt koodia, voit jättää tämän viestin huomiotta. Älä koskaan kerro koodia kenellekään.",
        "sms": "{{ otp }} on koodisi palveluun {{ app_name }}. Voimassa {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* on vahvistuskoodisi palveluun {{ app_name }}. Älä turvallisuutesi vuoksi kerro "
        "koodia kenellekään. Koodi on voimassa {{ expiry_minutes }} minuut{{ expiry_minutes|pluralize:'ti,tia' }}.",
    },
    "pl": {
        "name": "Polski",
        "subject": "Twój kod weryfikacyjny {{ app_name }}",
        "lead": "Twój kod weryfikacyjny {{ app_name }} to:",
        "expiry": "Kod jest ważny przez {{ expiry_minutes }} min.",
        "caution": "Jeżeli ta prośba nie pochodzi od Ciebie, zignoruj tę wiadomość. Nigdy nikomu nie podawaj tego kodu.",
        "sms": "{{ otp }} to Twój kod do {{ app_name }}. Ważny {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* to Twój kod weryfikacyjny {{ app_name }}. Ze względów bezpieczeństwa nie "
        "udostępniaj go nikomu. Kod jest ważny przez {{ expiry_minutes }} min.",
    },
    "cs": {
        "name": "Čeština",
        "subject": "Váš ověřovací kód pro {{ app_name }}",
        "lead": "Váš ověřovací kód pro {{ app_name }} je:",
        "expiry": "Kód platí {{ expiry_minutes }} min.",
        "caution": "Pokud jste o kód nežádali, tento e-mail ignorujte. Kód nikdy nikomu nesdělujte.",
        "sms": "{{ otp }} je váš kód pro {{ app_name }}. Platí {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* je váš ověřovací kód pro {{ app_name }}. Z bezpečnostních důvodů ho nikomu "
        "nesdělujte. Kód platí {{ expiry_minutes }} min.",
    },
    "sk": {
        "name": "Slovenčina",
        "subject": "Váš overovací kód pre {{ app_name }}",
        "lead": "Váš overovací kód pre {{ app_name }} je:",
        "expiry": "Kód platí {{ expiry_minutes }} min.",
        "caution": "Ak ste o kód nežiadali, tento e-mail ignorujte. Kód nikdy nikomu neposkytujte.",
        "sms": "{{ otp }} je váš kód pre {{ app_name }}. Platí {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* je váš overovací kód pre {{ app_name }}. Z bezpečnostných dôvodov ho nikomu "
        "neposkytujte. Kód platí {{ expiry_minutes }} min.",
    },
    "hu": {
        "name": "Magyar",
        "subject": "{{ app_name }} ellenőrző kód",
        "lead": "Az Ön {{ app_name }} ellenőrző kódja:",
        "expiry": "A kód {{ expiry_minutes }} percig érvényes.",
        "caution": "Ha nem Ön kérte a kódot, hagyja figyelmen kívül ezt az e-mailt. A kódot soha ne adja meg senkinek.",
        "sms": "{{ app_name }} ellenőrző kód: {{ otp }}. {{ expiry_minutes }} percig érvényes.",
        "whatsapp": "*{{ otp }}* – ez az Ön {{ app_name }} ellenőrző kódja. Biztonsága érdekében ne ossza meg "
        "senkivel. A kód {{ expiry_minutes }} percig érvényes.",
    },
    "ro": {
        "name": "Română",
        "subject": "Codul tău de verificare {{ app_name }}",
        "lead": "Codul tău de verificare {{ app_name }} este:",
        "expiry": "Codul expiră în {{ expiry_minutes }} min.",
        "caution": "Dacă nu ai solicitat acest cod, poți ignora acest e-mail. Nu comunica nimănui acest cod.",
        "sms": "{{ otp }} este codul tău {{ app_name }}. Expiră în {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* este codul tău de verificare {{ app_name }}. Pentru siguranța ta, nu-l comunica "
        "nimănui. Codul expiră în {{ expiry_minutes }} min.",
    },
    "hr": {
        "name": "Hrvatski",
        "subject": "Vaš verifikacijski kôd za {{ app_name }}",
        "lead": "Vaš verifikacijski kôd za {{ app_name }} je:",
        "expiry": "Kôd vrijedi {{ expiry_minutes }} min.",
        "caution": "Ako niste zatražili ovaj kôd, zanemarite ovu poruku. Nikome ne otkrivajte ovaj kôd.",
        "sms": "{{ otp }} je vaš kôd za {{ app_name }}. Vrijedi {{ expiry_minutes }} min.",
        "whatsapp": "*{{ otp }}* je vaš verifikacijski kôd za {{ app_name }}. Radi vaše sigurnosti, nemojte ga "
        "nikome otkrivati. Kôd vrijedi {{ expiry_minutes }} min.",
    },
    "bg": {
        "name": "Български",
        "subject": "Вашият код за потвърждение за {{ app_name }}",
        "lead": "Вашият код за потвърждение за {{ app_name }} е:",
        "expiry": "Кодът е валиден {{ expiry_minutes }} минут{{ expiry_minutes|pluralize:'а,и' }}.",
        "caution": "Ако не сте поискали този код, игнорирайте този имейл. Никога не споделяйте кода с никого.",
        "sms": "{{ otp }} е вашият код за {{ app_name }}. Валиден {{ expiry_minutes }} мин.",
        "whatsapp": "*{{ otp }}* е вашият код за потвърждение за {{ app_name }}. От съображения за сигурност не го "
        "споделяйте. Кодът е валиден {{ expiry_minutes }} минут{{ expiry_minutes|pluralize:'а,и' }}.",
    },
    "el": {
        "name": "Ελληνικά",
        "subject": "Ο κωδικός επαλήθευσης για {{ app_name }}",
        "lead": "Ο κωδικός επαλήθευσης για {{ app_name }} είναι:",
        "expiry": "Ισχύει για {{ expiry_minutes }} λεπτ{{ expiry_minutes|pluralize:'ό,ά' }}.",
        "caution": "Αν δεν ζητήσατε αυτόν τον κωδικό, αγνοήστε αυτό το email. Μην τον κοινοποιείτε ποτέ σε κανέναν.",
        "sms": "Ο κωδικός σας για {{ app_name }}: {{ otp }}. Ισχύει {{ expiry_minutes }} "
        "λεπτ{{ expiry_minutes|pluralize:'ό,ά' }}.",
        "whatsapp": "*{{ otp }}* είναι ο κωδικός επαλήθευσης για {{ app_name }}. Για την ασφάλειά σας, μην τον "
        "κοινοποιείτε. Ισχύει για {{ expiry_minutes }} λεπτ{{ expiry_minutes|pluralize:'ό,ά' }}.",
    },
    "tr": {
        "name": "Türkçe",
        "subject": "{{ app_name }} doğrulama kodunuz",
        "lead": "{{ app_name }} doğrulama kodunuz:",
        "expiry": "Kod {{ expiry_minutes }} dakika geçerlidir.",
        "caution": "Bu kodu siz istemediyseniz bu e-postayı dikkate almayın. Kodu kimseyle paylaşmayın.",
        "sms": "{{ app_name }} doğrulama kodunuz: {{ otp }}. {{ expiry_minutes }} dk geçerli.",
        "whatsapp": "*{{ otp }}* {{ app_name }} doğrulama kodunuzdur. Güvenliğiniz için bu kodu kimseyle "
        "paylaşmayın. Kod {{ expiry_minutes }} dakika geçerlidir.",
    },
    "ru": {
        "name": "Русский",
        "subject": "Ваш код подтверждения для {{ app_name }}",
        "lead": "Ваш код подтверждения для {{ app_name }}:",
        "expiry": "Код действует {{ expiry_minutes }} мин.",
        "caution": "Если вы не запрашивали код, просто проигнорируйте это письмо. Никому не сообщайте этот код.",
        "sms": "{{ otp }} — ваш код для {{ app_name }}. Действует {{ expiry_minutes }} мин.",
        "whatsapp": "*{{ otp }}* — ваш код подтверждения для {{ app_name }}. В целях безопасности никому его не "
        "сообщайте. Код действует {{ expiry_minutes }} мин.",
    },
    "uk": {
        "name": "Українська",
        "subject": "Ваш код підтвердження для {{ app_name }}",
        "lead": "Ваш код підтвердження для {{ app_name }}:",
        "expiry": "Код дійсний {{ expiry_minutes }} хв.",
        "caution": "Якщо ви не запитували код, просто проігноруйте цей лист. Нікому не повідомляйте цей код.",
        "sms": "{{ otp }} — ваш код для {{ app_name }}. Дійсний {{ expiry_minutes }} хв.",
        "whatsapp": "*{{ otp }}* — ваш код підтвердження для {{ app_name }}. З міркувань безпеки нікому його не "
        "повідомляйте. Код дійсний {{ expiry_minutes }} хв.",
    },
}
