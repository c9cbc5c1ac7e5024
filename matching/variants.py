"""Name-variant and nickname equivalence tables.

Seeded from general knowledge of romanisation practice (Arabic names as written in
Sudan and the Arab world, Ukrainian/Russian passport and everyday spellings with
their diminutives, Khmer romanisations) -- not from any data generator.  Each group
is a set of spellings of one name; the first entry is the canonical form.  Groups are
compared on normalised tokens (see :func:`matching.normalize.normalize_name`), so
compounds appear here in their normalised form (``abdrahman`` for Abdel Rahman,
``sreymom`` for Srey Mom).

The table grows from caseworkers' confirmed matches: :class:`VariantTable` accepts
extra pairs (``add_pair``) and the fitted :class:`matching.Linker` stores them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

SEED_GROUPS: tuple[tuple[str, ...], ...] = (
    # --- Arabic (Sudan, Chad, wider Arab world) -----------------------------------
    (
        "mohammed",
        "muhammad",
        "mohamed",
        "mohammad",
        "muhammed",
        "mohamad",
        "muhamed",
        "mohamud",
        "mahamat",
        "mohammedain",
        # written short on forms and passports (Mohd., Mhd., Md.)
        "mohd",
        "mhd",
        "muhd",
        "hamouda",
        "hamoudi",
        "hammouda",
        "mido",
    ),
    ("ahmed", "ahmad", "ahmet", "ahmmed", "hamada"),
    ("mahmoud", "mahmud", "mahmood", "mahmut"),
    ("mustafa", "mostafa", "moustafa", "mustapha", "mostapha"),
    ("abdallah", "abdullah", "abdulla", "abdalla", "abdellah", "abdella"),
    ("abdrahman", "aboudi"),
    ("abdrahim",),
    ("abdaziz", "abdelaziz", "abdulaziz", "azouz"),
    ("osman", "othman", "uthman", "usman", "ousmane", "osmane", "otman"),
    ("omar", "umar", "omer", "umer"),
    ("ali", "aly", "alee"),
    ("hassan", "hasan", "hasen", "hassen", "hassane"),
    (
        "hussein",
        "husain",
        "hussain",
        "hossein",
        "husein",
        "hosein",
        "hussien",
        "houssein",
        "hissein",
        "hissene",
    ),
    ("ibrahim", "ebrahim", "ibraheem", "brahim", "ibrahima", "ibrahem", "barhoum"),
    ("ismail", "ismael", "esmail", "ismaeel", "smail"),
    (
        "yousif",
        "yousef",
        "yusuf",
        "youssef",
        "yousuf",
        "yosef",
        "yusif",
        "yussuf",
        "youssouf",
        "joseph",  # as translated into English (South Sudan, Chad)
    ),
    ("suleiman", "sulaiman", "sliman", "soliman", "suleman", "sulayman", "souleymane"),
    ("adam", "adum", "aadam", "adoum"),
    ("idris", "idriss", "edris", "idrees"),
    ("ishag", "ishaq", "ishak", "isaac", "ishaag"),
    ("yagoub", "yaqub", "yakub", "yacoub", "yaqoob", "yagub", "yaaqoub", "yakoub"),
    ("khalid", "khaled", "khaleed"),
    ("khadija", "khadijah", "kadija", "khadiga", "khadeeja", "kadidja", "khadidja", "khadouj"),
    ("fatima", "fatimah", "fatma", "fatuma", "fatouma", "fattoum", "fatoum", "fatna", "fatime"),
    ("aisha", "aysha", "aicha", "ayesha", "aishah", "aisa", "ayisha"),
    ("maryam", "mariam", "mariem", "meriem", "miriam", "maryem"),
    ("zainab", "zeinab", "zaynab", "zenab", "zinab", "zeynab"),
    ("amina", "aminah", "ameena", "aminata"),
    ("halima", "halimah", "haleema", "halime"),
    ("hawa", "hawwa", "hawaa"),
    ("salma", "selma", "salmah"),
    ("nour", "nur", "noor", "nora"),
    ("musa", "mousa", "moussa", "mussa", "mosa"),
    ("issa", "isa", "eisa", "aissa"),
    ("haroun", "harun", "haroon", "harun"),
    ("jamal", "gamal", "jamaal"),
    ("jaafar", "gaafar", "jafar", "jaffar", "gafar"),
    ("hamid", "hamed", "haamid"),
    ("rashid", "rasheed", "rachid", "rached"),
    ("saeed", "said", "saeid", "saied", "saiid"),
    ("salih", "saleh", "salah"),
    (
        "abubakr",
        "abubakar",
        "abubaker",
        "aboubakar",
        "abubakir",
        "abakar",
        "babiker",
        "babikir",
        "babaker",
    ),
    ("hamza", "hamzah", "hamzeh"),
    ("bashir", "basheer", "beshir", "bachir"),
    ("nasir", "nasser", "naser", "nassir", "nasr"),
    ("tayeb", "tayib", "taib", "tayyib", "tayyeb"),
    ("awad", "awadh", "iwad"),
    ("adil", "adel", "aadil"),
    ("anwar", "anouar", "anwer"),
    ("mona", "muna", "mouna"),
    ("huda", "hoda", "houda"),
    ("samia", "samiya", "samiyah"),
    ("safia", "safiya", "safiyya", "saffia"),
    ("rahma", "rahmah", "rahama"),
    ("sara", "sarah", "saraa"),
    ("hana", "hanaa", "hanna"),
    ("asma", "asmaa", "asmah"),
    ("duaa", "doaa", "dua", "doa"),
    ("mubarak", "mobarak", "moubarak"),
    ("nurdin", "nourdin", "noordin", "nurdine"),
    ("salahdin", "salahudin"),
    ("kamal", "kemal"),
    ("yahya", "yahia", "yehia", "yahiya"),
    ("zakaria", "zakariya", "zakariyya", "zakaria"),
    ("elias", "ilyas", "ilias", "elyas"),
    ("younis", "yunus", "younes", "yunis", "younus"),
    ("hashim", "hashem", "hachem"),
    ("ayoub", "ayub", "ayyub", "ayoob"),
    ("tahir", "taher", "tahar"),
    ("mansour", "mansur", "mansoor"),
    ("jibril", "jibreel", "gibril", "djibril", "jabril"),
    ("juma", "jumaa", "gomaa", "gumaa", "jomaa", "djouma"),
    ("kulthum", "kalthoum", "kaltoum", "kaltouma", "kalthum", "kulsum", "kalsoum"),
    ("saadia", "sadia", "saadiya", "sadiya"),
    ("abdgadir", "abdqadir", "abdkadir", "abdqader", "abdgader", "abdkader"),
    ("abdmajid", "abdmageed", "abdmagid", "abdmajeed"),
    ("abdmonim", "abdmoneim", "abdmunim", "abdmunem"),
    ("abdrazig", "abdraziq", "abdrazik", "abdrazeg"),
    # --- Ukrainian / Russian (passport spellings, everyday forms, diminutives) ----
    (
        "oleksandr",
        "aleksandr",
        "alexander",
        "alexandr",
        "oleksander",
        "olexandr",
        "aleksander",
        "olexander",
        "alex",
        "sasha",
        "sashko",
        "sanya",
        "shura",
    ),
    (
        "oleksandra",
        "aleksandra",
        "alexandra",
        "olexandra",
        "sasha",
        "sashenka",
        "lesya",
        "lesia",
    ),
    ("mykola", "nikolai", "nikolay", "mikola", "nicholas", "nikolaj", "kolya", "kolia", "mykolka"),
    ("serhii", "sergey", "sergei", "serhiy", "sergiy", "serhij", "sergii", "seryozha", "serozha"),
    ("yevhen", "evgeniy", "evgeny", "yevgeny", "ievgen", "yevgen", "evgen", "yevgeniy", "eugene"),
    ("yevheniia", "evgeniya", "yevgenia", "yevheniya", "evgenia", "ievgeniia", "eugenia"),
    ("zhenya", "zhenia", "jenya"),
    ("dmytro", "dmitry", "dmitriy", "dmitri", "dmitrii", "dima", "dmytryk", "dimon"),
    ("volodymyr", "vladimir", "volodya", "vova", "volodia", "wladimir", "vladymyr"),
    ("andrii", "andriy", "andrey", "andrei", "andrew", "andriyko", "andrij", "andriiko"),
    ("oleksii", "aleksey", "alexey", "oleksiy", "alexei", "olexiy", "aleksei", "lyosha", "alyosha"),
    ("ivan", "vanya", "ivanko", "vania", "ivanchyk"),
    ("petro", "pyotr", "petr", "peter", "petya", "petrik"),
    ("pavlo", "pavel", "paul", "pasha", "pavlik"),
    ("mykhailo", "mikhail", "mykhaylo", "michael", "misha", "mykhailyk", "mihail", "mikhailo"),
    ("yurii", "yuriy", "yuri", "yury", "yura", "iurii", "jurij"),
    ("vasyl", "vasily", "vasiliy", "vasilii", "vasya", "vasylko", "wasyl"),
    ("viktor", "victor", "vitya"),
    ("vitalii", "vitaliy", "vitaly", "vitalik", "vitalij"),
    ("maksym", "maxim", "maksim", "max", "maks", "maksymko"),
    ("artem", "artyom", "artiom", "tyoma", "tema", "artemko"),
    ("bohdan", "bogdan", "bodya", "bodia", "bohdanchyk"),
    ("denys", "denis", "denya"),
    ("yaroslav", "iaroslav", "yarik", "yaryk"),
    ("roman", "roma", "romchyk"),
    ("anatolii", "anatoliy", "anatoly", "tolya", "tolik"),
    ("hryhorii", "grigoriy", "grigory", "hryhoriy", "grigorii", "grisha", "hrysha"),
    ("illia", "ilya", "ilia", "illya", "iliya", "illiusha"),
    ("kyrylo", "kirill", "kiril", "kyril", "kiryl"),
    ("matvii", "matvey", "matviy", "matvei", "matviiko"),
    ("tymofii", "timofey", "tymofiy", "timofei", "tima", "tymko"),
    ("danylo", "daniil", "danilo", "danila", "daniel", "danya", "danylko"),
    ("yakiv", "yakov", "jacob", "iakiv"),
    ("yosyp", "iosif", "joseph", "osyp"),
    ("fedir", "fyodor", "fedor", "fedya", "fedia"),
    ("olena", "elena", "yelena", "helen", "lena", "olenka", "alena", "alyona"),
    ("nataliia", "natalia", "nataliya", "natalya", "natasha", "natalka"),
    ("tetiana", "tatiana", "tatyana", "tetyana", "tanya", "tania", "tatiana"),
    ("iryna", "irina", "ira", "irynka"),
    ("yuliia", "yulia", "yuliya", "julia", "iuliia", "yulya", "yulka"),
    ("anastasiia", "anastasia", "anastasiya", "nastya", "nastia", "nastka"),
    ("kateryna", "ekaterina", "yekaterina", "katerina", "katya", "katia", "catherine", "katrya"),
    ("mariia", "maria", "mariya", "masha", "marichka", "marusia", "marusya"),
    ("sofiia", "sofia", "sofiya", "sophia", "sonya", "sonia", "sofiyka"),
    ("dariia", "daria", "darya", "dasha", "dariya", "daryna"),
    ("anna", "hanna", "ganna", "anya", "ania", "hanusia", "annushka"),
    ("viktoriia", "viktoria", "victoria", "viktoriya", "vika"),
    ("vira", "vera", "virochka"),
    ("nadiia", "nadezhda", "nadiya", "nadia", "nadya"),
    ("liudmyla", "lyudmila", "ludmila", "liudmila", "liuda", "luda", "mila"),
    ("halyna", "galina", "galyna", "halya", "galya", "halia"),
    ("svitlana", "svetlana", "sveta", "svitlanka"),
    ("valentyna", "valentina", "valya", "valia"),
    ("khrystyna", "kristina", "khristina", "christina", "krystyna", "khrystia"),
    ("veronika", "veronica", "nika"),
    ("yana", "iana", "yanochka"),
    ("myroslava", "miroslava", "myrosia", "slava"),
    ("solomiia", "solomiya", "solomia", "solomea"),
    ("liliia", "lilia", "liliya", "lilya"),
    ("anhelina", "angelina", "anhelyna", "gelya"),
    ("valeriia", "valeria", "valeriya", "lera"),
    ("yelyzaveta", "elizaveta", "yelizaveta", "liza", "elizabeth", "lizaveta", "yelyzavetta"),
    ("oksana", "oxana"),
    ("hrytsenko", "gritsenko", "hrytsenco"),
    ("hnatiuk", "gnatyuk", "hnatyuk"),
    ("oliinyk", "oliynyk", "oleinik", "oleynik", "olijnyk"),
    ("kovalchuk", "kovalczuk", "kowalchuk"),
    ("melnyk", "melnik", "melnick"),
    ("boiko", "boyko", "bojko"),
    ("polishchuk", "polischuk", "polishuk"),
    ("lysenko", "lisenko"),
    ("kharchenko", "harchenko"),
    ("shevchenko", "shevchenco"),
    ("kravchenko", "kravchenco"),
    ("tkachenko", "tkachenco"),
    ("hordiienko", "gordienko", "hordienko"),
    ("herasymenko", "gerasimenko"),
    ("honcharenko", "goncharenko"),
    ("horbunov", "gorbunov"),
    ("hrebeniuk", "grebenyuk"),
    ("yakovenko", "iakovenko"),
    ("yurchenko", "iurchenko"),
    # --- Khmer ---------------------------------------------------------------------
    ("sreymom", "sreymum", "sreymoam"),
    ("sreyleak", "sreyleakh", "sreyliak"),
    ("sreypov", "sreypouv", "sreypav"),
    ("sreyneang", "sreyneng", "sreynieng"),
    ("sreynich", "sreynech", "sreynitch"),
    ("sophea", "sophia", "sopheah", "sopia"),
    ("sopheak", "sophak", "sopheakh"),
    ("sokha", "sokhar", "sokhaa"),
    ("sok", "sokh", "sook"),
    ("chan", "chann", "chanh", "chan"),
    ("dara", "darah", "daraa"),
    ("vanna", "vana", "wanna", "vanha", "vnna"),
    ("bopha", "bupha", "bopea", "boppha"),
    ("thida", "tida", "theada", "thidar"),
    ("rithy", "ritthy", "rithi", "rity"),
    ("vuthy", "vutthy", "vuthi", "vutty"),
    ("sothea", "sothia", "sotthea"),
    ("chea", "chia", "chear"),
    ("meas", "mias", "meash"),
    ("seng", "sing", "sengh"),
    ("kim", "keam", "kimm"),
    ("ly", "lee", "lii", "li"),
    ("nhem", "nhim", "nhiem"),
    ("nuon", "noun", "nuan", "nun"),
    ("phally", "phalli", "pally", "phaly"),
    ("sovann", "sovan", "sovanh"),
    ("samnang", "somnang", "samnag"),
    ("kosal", "kosul", "kossal"),
    ("channary", "channari", "chanary", "chanari"),
    ("veasna", "veasnar", "viesna", "veasnah"),
    ("visal", "vesal", "visaal"),
    ("rotha", "ratha", "rottha"),
    ("pheakdey", "pheakdei", "peakdey", "pheakdy"),
    ("bunthoeun", "bunthoeurn", "bunthon", "bunthoun"),
    ("leakhena", "leakena", "lekhena"),
    ("srun", "sroun", "sron"),
    ("prum", "prom", "proum"),
    ("chhay", "chay", "chhai"),
    ("keo", "kaev", "kev", "keoo"),
    ("touch", "toch", "tuch", "toch"),
    ("khieu", "khiev", "khiew"),
    ("ouk", "uk", "auk", "ouk"),
    ("pich", "pech", "peich"),
    ("oung", "ung", "ong"),
    ("heng", "hieng", "hen"),
    ("mao", "mau", "maow"),
    ("phan", "phann", "fan"),
    ("prak", "prakh", "prach"),
    ("sam", "sam", "samm"),
    ("chhim", "chim", "chhem"),
    ("yim", "yem", "im"),
    ("sothy", "sothi", "sotty"),
    ("sopheap", "sophap", "sopheab"),
    ("chantha", "chanta", "chanthaa"),
    ("sreyroth", "sreyrath"),
    ("piseth", "piset", "pisith"),
    ("pisey", "pisei", "pisay"),
    ("sokhom", "sokhum", "sokhorm"),
    ("makara", "makkara", "mackara"),
    ("ratana", "rattana", "rathana", "ratanak"),
    ("kunthea", "kunthia", "kuntea"),
)

# Generic compound heads: a token equal to one of these is joined with the next token
# ("Srey Mom" -> "sreymom", "Abu Bakr" -> "abubakr").  The Arabic "abd" family is
# handled in normalize.py because its connecting article takes many forms.
JOIN_HEADS: frozenset[str] = frozenset({"srey", "srei", "abu", "abou", "abo", "umm", "oum"})

# Pet names that Khmer families give small children whatever their given name, for their
# place among siblings, their size or as endearments: Pov (the youngest), Toch (small),
# Thom (big), Oun (little one), Bong (elder), Srey (girl) and Pros (boy) alone, Mey, Vy;
# with the spellings letter-by-letter romanisations of Khmer script give (pau, tham, mei,
# vei) and after the familiar prefix "a"/"ah" (អាពៅ Apov, Ah Toch). A child known by such
# names only may be anyone's: its name neither agrees nor disagrees with the name its
# family gives (compare), and blocking offers it to sought children of its age and sex
# (candidates).
PET_NAMES: frozenset[str] = frozenset(
    {
        "pov", "pau", "pouv", "toch", "touch", "tuch", "thom", "tham", "thum", "oun",
        "bong", "srey", "srei", "pros", "mey", "mei", "vy", "vei",
    }
)  # fmt: skip
PET_PREFIXES = ("ah", "a")
# the pet names that the prefix is written joined to (អាពៅ Apov, Atoch): those that are no
# one's given name, so that Aoun or Amey, names of their own, stay names
_PREFIXED_PET_NAMES = frozenset({"pov", "pau", "pouv", "toch", "touch", "tuch", "thom", "tham"})


def is_pet_name(token: str) -> bool:
    """Whether a normalised token is a pet name (PET_NAMES), the familiar prefix alone, or
    the prefix joined to a pet name that is no one's given name."""
    if token in PET_NAMES or token in PET_PREFIXES:
        return True
    return any(token.startswith(p) and token[len(p) :] in _PREFIXED_PET_NAMES for p in PET_PREFIXES)


class VariantTable:
    """Map a normalised token to the ids of the variant groups it belongs to."""

    def __init__(self, groups: Iterable[Iterable[str]] = SEED_GROUPS) -> None:
        self.groups: list[list[str]] = []
        self._index: dict[str, list[int]] = {}
        self._by_key: dict[Callable[[str], str], dict[str, list[int]]] = {}
        for group in groups:
            self.add_group(group)

    def add_group(self, names: Iterable[str]) -> int:
        members = [n for n in dict.fromkeys(names) if n]
        self._by_key.clear()
        gid = len(self.groups)
        self.groups.append(members)
        for name in members:
            ids = self._index.setdefault(name, [])
            if gid not in ids:
                ids.append(gid)
        return gid

    def add_pair(self, a: str, b: str) -> None:
        """Declare two spellings equivalent (e.g. from a confirmed match)."""
        if not a or not b or a == b:
            return
        self._by_key.clear()
        ga, gb = self._index.get(a), self._index.get(b)
        if ga and gb and set(ga) & set(gb):
            return
        if ga:
            gid = ga[0]
            self.groups[gid].append(b)
            self._index.setdefault(b, []).append(gid)
        elif gb:
            gid = gb[0]
            self.groups[gid].append(a)
            self._index.setdefault(a, []).append(gid)
        else:
            self.add_group([a, b])

    def groups_by_key(self, key: Callable[[str], str]) -> dict[str, list[int]]:
        """Group ids by ``key`` of their members (e.g. consonant skeletons), built once."""
        index = self._by_key.get(key)
        if index is None:
            index = {}
            for gid, group in enumerate(self.groups):
                for name in group:
                    ids = index.setdefault(key(name), [])
                    if gid not in ids:
                        ids.append(gid)
            self._by_key[key] = index
        return index

    def group_ids(self, token: str) -> list[int]:
        return self._index.get(token, [])

    def canonical(self, token: str) -> str | None:
        ids = self._index.get(token)
        return self.groups[ids[0]][0] if ids else None

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and token in self._index

    def names(self) -> list[str]:
        return list(self._index)
