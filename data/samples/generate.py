#!/usr/bin/env python3
"""Seeded generator of family-separation scenarios with known truth.

Builds families separated in an emergency, then writes down what two different people
would record about each child: a field team registering the child (children.csv) and a
help desk taking a family's tracing request (requests.csv), both under the data contract
of DESIGN §3. Each record has a writer with habits (a romanisation style, capitals,
compound names split or joined, typos); what a writer can know depends on who speaks
(a three-year-old knows a nickname, a mother knows the full name). Every probability
used is in NOISE_RATES; ``describe_noise()`` prints them as markdown tables.

Three naming cultures, each with the generator's own name lists:

* ``sudan``: Arabic-origin names of Darfur and eastern Chad, patronymic naming
  (child = given, father's given, grandfather's given), Sudanese-English, academic,
  French (Chad) and simplified romanisations, Arabic script.
* ``khmer``: Khmer names, family name first, compound given names (Srey Mom / Sreymom),
  Khmer script; separations along the Cambodian–Thai border.
* ``ukraine``: Ukrainian names with patronymics and surnames by sex, Ukrainian national,
  Russian, English and ad hoc romanisations, Cyrillic script.

The truth tables give each row's ``person_id`` and ``family_id``: a registered child and
a sought child are the same person when their ``person_id`` agree; siblings share the
``family_id``. Nothing here is imported by the matching engine, nor does this import it.

Usage::

    python data/samples/generate.py --culture mixed --children 1200 --sought 360 \\
        --seed 42 --out data/samples
    python data/samples/generate.py --describe
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import math
import random
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CULTURES = ("sudan", "khmer", "ukraine")
CULTURE_CODES = {"sudan": "SD", "khmer": "KH", "ukraine": "UA"}

CHILD_COLUMNS = (
    "ref",
    "given_name",
    "family_name",
    "other_names",
    "sex",
    "age",
    "date_of_birth",
    "separation_date",
    "separation_place",
    "separation_lat",
    "separation_lon",
    "current_lat",
    "current_lon",
    "mother_name",
    "father_name",
    "language",
    "registration_date",
)
REQUEST_COLUMNS = (
    "ref",
    "inquiry_ref",
    "inquirer_name",
    "inquirer_relationship",
    "given_name",
    "family_name",
    "other_names",
    "sex",
    "age",
    "date_of_birth",
    "separation_date",
    "separation_place",
    "separation_lat",
    "separation_lon",
    "mother_name",
    "father_name",
    "language",
    "request_date",
)
TRUTH_COLUMNS = ("ref", "person_id", "family_id")

# Every probability the generator draws against. The comment line(s) above each key are
# its documentation: describe_noise() reads them from this file for the README table.
NOISE_RATES: dict[str, float] = {
    # --- scenario
    # A family that files an inquiry has a second relative file another one for the same
    # children (two sought-child rows, one person).
    "second_inquiry": 0.03,
    # Siblings of a sought family are registered (or not) one by one rather than together,
    # so that only some of them are registered.
    "siblings_registered_apart": 0.3,
    # Khmer family whose children's family name is the father's given name (older custom).
    "khmer_surname_from_father_given": 0.2,
    # Ukrainian mother whose surname differs from her children's.
    "mother_other_surname": 0.15,
    # Non-parent inquirer (aunt, uncle, grandparent) from the father's side of the family.
    "inquirer_paternal_side": 0.6,
    # --- writers (a share of the field and help-desk workers has each habit)
    # Writer who writes every name in CAPITALS.
    "writer_upper_case": 0.1,
    # Writer who writes every name in lower case.
    "writer_lower_case": 0.03,
    # Writer who splits compound names (Abdel Rahman, Srey Mom); the others join them
    # (Abdelrahman, Sreymom).
    "writer_splits_compounds": 0.45,
    # A writer goes against their split/join habit on one compound name.
    "compound_habit_broken": 0.15,
    # Writer who puts Ukrainian names in the official order: surname, given, patronymic.
    "writer_surname_first_ukraine": 0.25,
    # Writer who puts Khmer names in the western order: given name, then family name.
    "writer_given_first_khmer": 0.2,
    # Writer who writes sex as m/f (or M/F) rather than male/female.
    "writer_sex_short": 0.3,
    # Writer who records coordinates coarsely (2–3 decimals, read off a map).
    "writer_coords_coarse": 0.35,
    # A name word is spelled in another romanisation than the writer's usual one.
    "spelling_off_style": 0.1,
    # Record whose names are written in the original script (Arabic, Khmer, Cyrillic);
    # never both records of one true pair.
    "original_script": 0.04,
    # Typo per name word (dropped, doubled, swapped or neighbouring-key letter) for an
    # average writer; writers vary from a third to three times this.
    "typo_per_word": 0.025,
    # The second word of a split compound given name lands in the family-name field.
    "compound_split_across_fields": 0.15,
    # --- names
    # Registered child under 6 known only by a nickname (written as the given name).
    "nickname_only_child_under6": 0.35,
    # Registered child under 6 recorded with only a given name or nickname, sex and an
    # estimated age (no family name, parents, place or dates).
    "minimal_record_child_under6": 0.3,
    # Sought child under 6 whose inquiry, filed by a relative other than a parent, gives
    # only a given name or nickname, sex and age.
    "minimal_record_request_under6": 0.25,
    # Nickname added to other_names on the child's record.
    "nickname_in_other_names_child": 0.15,
    # Nickname added to other_names on the family's request.
    "nickname_in_other_names_request": 0.25,
    # Family name unknown on the record of a registered child under 6.
    "family_missing_child_under6": 0.5,
    # Family name unknown on the record of a registered child aged 6 or more.
    "family_missing_child": 0.06,
    # Family name left empty on a request.
    "family_missing_request": 0.03,
    # The whole name written in given_name, family_name left empty.
    "full_name_in_given": 0.05,
    # Khmer record with family and given name swapped between the two fields.
    "khmer_order_swapped": 0.15,
    # Ukrainian record with surname and given name swapped between the two fields.
    "ukraine_order_swapped": 0.04,
    # Ukrainian record with the patronymic written in other_names.
    "patronymic_in_other_names": 0.4,
    # Ukrainian record with the patronymic written after the given name in given_name.
    "patronymic_in_given": 0.05,
    # Sudanese layouts (they sum to 1): family_name = father's and grandfather's names ...
    "sudan_family_father_grandfather": 0.35,
    # ... family_name = father's given name only ...
    "sudan_family_father": 0.25,
    # ... family_name = grandfather's given name only ...
    "sudan_family_grandfather": 0.12,
    # ... given_name = child's and father's names, family_name = grandfather's ...
    "sudan_given_with_father": 0.15,
    # ... family_name empty, father's given name in other_names.
    "sudan_father_in_other_names": 0.13,
    # Sex recorded wrongly on a child's registration.
    "sex_wrong_child": 0.012,
    # Sex recorded wrongly on a request.
    "sex_wrong_request": 0.005,
    # Sex left empty or "unknown".
    "sex_missing": 0.01,
    # --- parents and inquirer
    # Parent's name unknown on a child's record: child under 6.
    "parent_missing_child_under6": 0.7,
    # Parent's name unknown on a child's record: child 6–11.
    "parent_missing_child_6_11": 0.3,
    # Parent's name unknown on a child's record: child 12 or more.
    "parent_missing_child_12_up": 0.12,
    # Parent's name left empty on a request.
    "parent_missing_request": 0.08,
    # The inquiring parent's own name left out of the mother_name/father_name column.
    "parent_missing_when_inquirer": 0.35,
    # A parent's name on a child's record is the given name only.
    "parent_given_only_child": 0.45,
    # A parent's name on a child's record is the full name (three names / with patronymic).
    "parent_full_child": 0.15,
    # A parent's name on a request is the given name only.
    "parent_given_only_request": 0.1,
    # A parent's name on a request is the full name.
    "parent_full_request": 0.45,
    # A parent who inquires has inquirer_name written afresh (fuller, other spelling)
    # rather than copied from the mother_name/father_name column.
    "inquirer_name_retyped": 0.3,
    # --- ages and dates
    # A request gives the age at separation rather than the age on the request date.
    "request_age_at_separation": 0.3,
    # A request's age is off by one year.
    "request_age_off_by_one": 0.1,
    # Age left empty.
    "age_missing": 0.03,
    # Date of birth known on a child's record: Sudan.
    "dob_known_child_sudan": 0.08,
    # Date of birth known on a child's record: Cambodia.
    "dob_known_child_khmer": 0.15,
    # Date of birth known on a child's record: Ukraine.
    "dob_known_child_ukraine": 0.45,
    # Date of birth known on a request: Sudan.
    "dob_known_request_sudan": 0.3,
    # Date of birth known on a request: Cambodia.
    "dob_known_request_khmer": 0.4,
    # Date of birth known on a request: Ukraine.
    "dob_known_request_ukraine": 0.8,
    # A known date of birth is only partly known (year, or year and month).
    "dob_partial": 0.4,
    # A partial date of birth gives the year only (else year and month).
    "dob_year_only": 0.6,
    # A date of birth is wrong (a year off, or days to weeks off).
    "dob_wrong": 0.04,
    # Separation date unknown on the record of a registered child under 6.
    "sep_date_missing_child_under6": 0.5,
    # Separation date unknown on the record of a registered child aged 6 or more.
    "sep_date_missing_child": 0.15,
    # Separation date left empty on a request.
    "sep_date_missing_request": 0.04,
    # Separation date given as a month only (YYYY-MM).
    "sep_date_month_only": 0.08,
    # A request's separation date is exact (else off by 1–5 days).
    "sep_date_exact_request": 0.6,
    # A child's separation date is exact (else off by up to about two weeks).
    "sep_date_exact_child": 0.3,
    # --- places
    # No separation point on the record of a registered child under 6.
    "point_missing_child_under6": 0.6,
    # No separation point on the record of a registered child aged 6 or more.
    "point_missing_child": 0.25,
    # No separation point on a request.
    "point_missing_request": 0.12,
    # No separation place name on the record of a registered child under 6.
    "place_missing_child_under6": 0.5,
    # No separation place name on the record of a registered child aged 6 or more.
    "place_missing_child": 0.12,
    # No separation place name on a request.
    "place_missing_request": 0.04,
    # Place name qualified ("near Adre", "Poipet market", "road to Izium").
    "place_qualified": 0.15,
    # No current location on a child's record.
    "current_point_missing": 0.08,
    # --- language
    # Language left empty.
    "language_missing": 0.1,
    # A child's record gives the lingua franca (Arabic; Russian or Ukrainian) instead of
    # the home language.
    "language_lingua_franca_child": 0.2,
}

# Family sizes: how many children of one family were separated together.
FAMILY_SIZES: tuple[tuple[int, float], ...] = (
    (1, 0.52),
    (2, 0.26),
    (3, 0.13),
    (4, 0.06),
    (5, 0.03),
)
# Age at separation, years 0..17 (relative weights).
AGE_WEIGHTS: tuple[float, ...] = (2, 3, 4, 5, 5, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 6, 5, 4)
# Field workers' age estimates on a child's record: offset from the true age and weight,
# by true age band.
CHILD_AGE_ERRORS: dict[str, tuple[tuple[int, float], ...]] = {
    "under 6": ((-1, 0.2), (0, 0.6), (1, 0.2)),
    "6-11": ((-2, 0.07), (-1, 0.2), (0, 0.46), (1, 0.2), (2, 0.07)),
    "12+": ((-3, 0.04), (-2, 0.09), (-1, 0.18), (0, 0.38), (1, 0.18), (2, 0.09), (3, 0.04)),
}
# Who files the inquiry.
INQUIRER_RELATIONSHIPS: tuple[tuple[str, float], ...] = (
    ("mother", 0.42),
    ("father", 0.24),
    ("grandmother", 0.09),
    ("grandfather", 0.03),
    ("aunt", 0.08),
    ("uncle", 0.06),
    ("sibling", 0.05),
    ("cousin", 0.02),
    ("other relative", 0.01),
)
# Romanisation styles of each culture's writers and the share of writers using each.
WRITER_STYLES: dict[str, tuple[tuple[str, float], ...]] = {
    "sudan": (
        ("Sudanese English (Mohammed, Abdelrahman, Yousif, Ishag)", 0.45),
        ("academic (Muhammad, Abd al-Rahman, Yusuf, Ishaq)", 0.15),
        ("French, Chad (Mahamat, Abderrahmane, Youssouf, Issakha)", 0.25),
        ("simplified / Egyptian (Mohamed, Abdulrahman, Youssef, Ishak)", 0.15),
    ),
    "khmer": (
        ("common Cambodian usage (Sok, Chan, Sreymom, Vuthy)", 0.55),
        ("French-influenced (Sokh, Chanh, Vuthi)", 0.15),
        ("English phonetic (Sreymum, Chia, Vutthy)", 0.2),
        ("other (Sock, Chann, Voeuthy)", 0.1),
    ),
    "ukraine": (
        ("Ukrainian national (Oleksandr, Serhii, Yevhen, Mykola)", 0.5),
        ("Russian (Aleksandr, Sergey, Evgeniy, Nikolai)", 0.25),
        ("English (Alexander, Sergei, Yevgeny, Nikolay)", 0.12),
        ("ad hoc Ukrainian (Oleksander, Serhiy, Yevgen, Mikola)", 0.13),
    ),
}
# Median distance (km) from the true separation point to the point each side records
# (log-normal, sigma 0.7, at most five times the median).
CHILD_POINT_KM = 12.0
FAMILY_POINT_KM = 3.0
# Mean delay (days) from separation to registration and to the first request.
REGISTRATION_DELAY_DAYS = 20.0
REQUEST_DELAY_DAYS = 45.0
# Emergency windows (separation dates) per culture.
WINDOWS: dict[str, tuple[dt.date, dt.date]] = {
    "sudan": (dt.date(2023, 4, 15), dt.date(2026, 10, 15)),
    "khmer": (dt.date(2025, 7, 24), dt.date(2026, 10, 15)),
    "ukraine": (dt.date(2022, 2, 24), dt.date(2026, 10, 15)),
}
# Name frequencies: weight of the name of rank r (from 0) is 1 / (r + offset) ** exponent.
ZIPF: dict[str, tuple[float, float]] = {
    "male": (1.0, 1.5),
    "female": (1.0, 2.0),
    "surname": (1.0, 3.0),
}
ZIPF_UKRAINE: dict[str, tuple[float, float]] = {
    "male": (1.0, 4.0),
    "female": (1.0, 4.0),
    "surname": (1.0, 8.0),
}

# ------------------------------------------------------------------------------ lexicons
# A name line: four spellings (one per writer style) | other known spellings |
# original script (Ukrainian: Ukrainian Cyrillic, Russian Cyrillic) | nicknames
# (latin=script) | flags. "+" marks where a compound name may be split or joined; a line
# ending in a backslash continues on the next.

_SUDAN_MALE = """
Mohammed, Muhammad, Mahamat, Mohamed | Mohamad, Mohammad, Muhammed, Mouhamed | محمد | \
    Hamouda=حمودة, Hamada=حمادة, Mido=ميدو
Ahmed, Ahmad, Ahmat, Ahmed | Ahmet, Ahamed | أحمد | Hamada=حمادة
Adam, Adam, Adam, Adam | Aadam, Adum | آدم | Adoum=أدوم
Abdalla, Abd+Allah, Abdallah, Abd+Ullah | Abdullah, Abdella, Abdulla | عبد الله | \
    Abdu=عبدو, Dalla=دلة
Ibrahim, Ibrahim, Brahim, Ebrahim | Ibraheem, Ibrahima | إبراهيم | Barhoum=برهوم
Osman, Uthman, Ousmane, Othman | Usman, Othmane | عثمان |
Abdel+Rahman, Abd al-Rahman, Abder+Rahmane, Abdul+Rahman | \
    Abd Elrahman, Abdurrahman, Abdalrahman | عبد الرحمن | Abdo=عبدو
Ali, Ali, Ali, Aly | Alli | علي |
Yousif, Yusuf, Youssouf, Youssef | Yousef, Yosif, Yusif | يوسف |
Hassan, Hasan, Hassane, Hassan | Hasen | حسن | Hassouna=حسونة
Hussein, Husayn, Hissein, Hussein | Hussain, Husein, Houssein | حسين |
Abakar, Abu Bakr, Abakar, Abu+Bakr | Abbakar, Aboubakar, Abubakar | أبكر | Bakar=بكر
Ishag, Ishaq, Issakha, Ishak | Eshag, Isaac | إسحاق |
Ismail, Ismail, Ismael, Esmail | Ismaeil, Smail | إسماعيل |
Suleiman, Sulayman, Souleymane, Soliman | Sulaiman, Suliman | سليمان |
Musa, Musa, Moussa, Mousa | Mussa | موسى |
Idris, Idris, Idriss, Edris | Idrees | إدريس |
Haroun, Harun, Haroun, Haroon | Haron | هارون |
Omer, Umar, Oumar, Omar | Umer | عمر |
Khamis, Khamis, Khamis, Khamees | Kamis | خميس |
Yagoub, Yaqub, Yacoub, Yakoub | Yaqoub, Yakub | يعقوب |
Daoud, Dawud, Daoud, Dawood | Daud | داود |
Bakheit, Bakhit, Bakhit, Bekheet | Bakhet | بخيت |
Hamid, Hamid, Hamit, Hamed | Haamid | حامد |
Yahya, Yahya, Yaya, Yehia | Yahia | يحيى |
Salih, Salih, Saleh, Saleh | Swaleh | صالح |
Abdel+Aziz, Abd al-Aziz, Abdel+Aziz, Abdul+Aziz | Abd Elaziz, Abdelazeez | عبد العزيز | Zizo=زيزو
Mustafa, Mustafa, Moustapha, Mostafa | Mustapha | مصطفى |
Jibril, Jibril, Djibril, Gibril | Jibreel | جبريل |
Juma, Jumaa, Djouma, Gomaa | Jumma | جمعة |
Zakaria, Zakariyya, Zakaria, Zakaria | Zakariya | زكريا |
Issa, Isa, Issa, Eissa | Esa | عيسى |
Babiker, Babakr, Babikir, Babiker | Babikr | بابكر |
Abdel+Karim, Abd al-Karim, Abdel+Kerim, Abdul+Karim | Abd Elkarim, Abdelkareem | عبد الكريم |
Abdel+Gadir, Abd al-Qadir, Abdel+Kader, Abdul+Qadir | Abd Elgadir, Abdelgader | عبد القادر |
Hamdan, Hamdan, Hamdane, Hamdan | | حمدان |
Mahmoud, Mahmud, Mahamoud, Mahmoud | Mahmood | محمود |
Nour+Eldin, Nur al-Din, Nour+Eddine, Nour+Eldin | Nureldin, Noureddin | نور الدين | Nouri=نوري
Mubarak, Mubarak, Moubarak, Mobarak | | مبارك |
Tijani, Tijani, Tidjani, Tigani | Al-Tijani | التجاني |
Elfadil, al-Fadil, Elfadil, El+Fadel | Alfadil, Fadil | الفاضل |
Abbas, Abbas, Abbas, Abbass | | عباس |
Khalil, Khalil, Khalil, Khaleel | | خليل |
Eltahir, al-Tahir, Tahir, El+Taher | Altahir | الطاهر |
Haggar, Hajar, Haggar, Hagar | | حجر |
Anwar, Anwar, Anouar, Anwar | | أنور |
Fadul, Fadl, Fadoul, Fadl | Fadol | فضل |
Altayeb, al-Tayyib, Tayeb, El+Tayeb | Eltayeb | الطيب |
Nasir, Nasir, Nassir, Nasser | Naser | ناصر |
Bashir, Bashir, Bachir, Basheer | | بشير |
Hamza, Hamza, Hamza, Hamzah | | حمزة |
Saeed, Said, Saïd, Saied | Sayed | سعيد |
Gamar, Qamar, Gamar, Kamar | | قمر |
Arbab, Arbab, Arbab, Arbab | | أرباب |
Shareef, Sharif, Chérif, Sherif | | شريف |
Taha, Taha, Taha, Taha | | طه |
Awad, Awad, Aouad, Awad | | عوض |
Abdel+Salam, Abd al-Salam, Abdes+Salam, Abdul+Salam | Abd Elsalam | عبد السلام |
Dahab, Dhahab, Dahab, Dahab | | دهب |
Mahjoub, Mahjub, Mahdjoub, Mahgoub | | محجوب |
Bahar, Bahr, Bahar, Bahr | | بحر |
Ayoub, Ayyub, Ayoub, Ayoub | Ayub | أيوب |
Jaafar, Jafar, Djaafar, Gaafar | | جعفر |
Osama, Usama, Oussama, Osama | | أسامة |
"""

_SUDAN_FEMALE = """
Fatima, Fatimah, Fatimé, Fatma | Fatouma, Fatime | فاطمة | Fatoum=فطوم, Tuma=تومة
Aisha, Aishah, Aïcha, Aisha | Ayesha, Aysha, Aicha | عائشة | Shosho=شوشو
Hawa, Hawwa, Hawa, Hawaa | | حواء |
Mariam, Maryam, Mariam, Mariam | Meriam, Mariyam | مريم | Maro=مارو
Amna, Aminah, Amina, Amna | Amena | آمنة |
Khadija, Khadijah, Khadidja, Khadiga | Kadija | خديجة | Dija=ديجة
Halima, Halimah, Halimé, Halima | Haleema | حليمة |
Zahra, Zahra, Zara, Zahraa | | زهراء |
Zeinab, Zaynab, Zénab, Zainab | Zenab | زينب | Zouzou=زوزو
Kaltouma, Kulthum, Kaltouma, Kalthoum | Kaltoum, Kaltum | كلتومة |
Safia, Safiyya, Safia, Safeya | | صفية |
Nafisa, Nafisah, Nafissa, Nafisa | | نفيسة |
Sara, Sarah, Sara, Sarah | | سارة |
Amira, Amirah, Amira, Amira | Ameera | أميرة |
Rabia, Rabia, Rabiatou, Rabea | | رابعة |
Achta, Ashta, Achta, Ashta | | أشتا |
Ikhlas, Ikhlas, Ikhlass, Ekhlas | | إخلاص |
Samira, Samirah, Samira, Sameera | | سميرة |
Suad, Suad, Souad, Soad | | سعاد |
Salwa, Salwa, Saloua, Salwa | | سلوى |
Zamzam, Zamzam, Zemzem, Zamzam | | زمزم |
Mona, Muna, Mouna, Mona | | منى |
Hadiza, Hadiza, Hadidja, Hadiza | | هديزة |
Rawda, Rawdah, Raouda, Rawda | | روضة |
Nasra, Nasra, Nasra, Nasra | | نصرة |
Bakhita, Bakhitah, Bakhita, Bekheeta | | بخيتة |
Awadiya, Awadiyya, Aouadia, Awadeya | | عوضية |
Hadia, Hadiyah, Hadia, Hadya | | هادية |
Sadia, Saadiyya, Saadia, Saadya | | سعدية |
Hajja, Hajja, Hadja, Hagga | | حاجة |
Nour, Nur, Nour, Noor | | نور |
Habiba, Habibah, Habiba, Habeeba | | حبيبة |
Maha, Maha, Maha, Maha | | مها |
Nadia, Nadiyah, Nadia, Nadia | | نادية |
Fatna, Fatna, Fatné, Fatna | | فطنة |
Hanan, Hanan, Hanane, Hanan | | حنان |
Sakina, Sakinah, Sakina, Sakeena | | سكينة |
Rasha, Rasha, Racha, Rasha | | رشا |
Huda, Huda, Houda, Hoda | | هدى |
Intisar, Intisar, Intissar, Entesar | | انتصار |
Sumaya, Sumayya, Soumaya, Somaya | | سمية |
Asia, Asiya, Assia, Asia | | آسيا |
Hikma, Hikmah, Hikma, Hekma | | حكمة |
Azza, Azza, Azza, Aza | | عزة |
Tahani, Tahani, Tahani, Tahany | | تهاني |
Najwa, Najwa, Nadjoua, Nagwa | | نجوى |
Ilham, Ilham, Ilhame, Elham | | إلهام |
Manal, Manal, Manal, Manal | | منال |
Amani, Amani, Amani, Amany | | أماني |
Raja, Raja, Radja, Ragaa | | رجاء |
Malaz, Malaz, Malaz, Malaz | | ملاذ |
"""

# The long tail of Sudanese male names: Abd + one of God's attributes. Latin stem,
# Arabic (with the article), and whether its first letter is a "sun letter" (the article
# assimilates: French Abderrahim, not Abdelrahim).
_SUDAN_ABD = """
Rahim الرحيم sun
Hafiz الحافظ moon
Basit الباسط moon
Wahab الوهاب moon
Latif اللطيف sun
Jalil الجليل moon
Moneim المنعم moon
Mutalib المطلب moon
Bagi الباقي moon
Hamid الحميد moon
Nasir الناصر sun
Khalig الخالق moon
Jabbar الجبار moon
Ghani الغني moon
Hadi الهادي moon
Halim الحليم moon
Rauf الرؤوف sun
Razig الرازق sun
Samad الصمد sun
Sattar الستار sun
Wahid الواحد moon
Majid المجيد moon
Mannan المنان moon
Shakur الشكور sun
Daim الدائم sun
Hakim الحكيم moon
Malik المالك moon
Azim العظيم moon
Fattah الفتاح moon
Gaffar الغفار moon
Moula المولى moon
"""

_KHMER_SURNAMES = """
Sok, Sokh, Sok, Sock | | សុខ |
Chan, Chanh, Chan, Chann | | ចាន់ |
Kim, Kim, Kim, Kym | | គីម |
Heng, Heng, Hing, Haeng | | ហេង |
Chea, Chea, Chia, Jea | | ជា |
Seng, Seng, Sing, Saeng | | សេង |
Ly, Ly, Lee, Li | | លី |
Meas, Meas, Mias, Meah | | មាស |
Keo, Keo, Kaew, Kev | | កែវ |
Sam, Sam, Som, Samm | | សំ |
Lim, Lim, Lim, Lym | | លឹម |
Prak, Prak, Prack, Prakk | | ប្រាក់ |
Mao, Mau, Mao, Mao | | ម៉ៅ |
Pich, Pech, Pitch, Pich | | ពេជ្រ |
Touch, Touch, Tuch, Toch | | ទូច |
Ouk, Ouk, Uk, Ok | | អ៊ុក |
Ros, Ros, Ross, Rous | | រស់ |
Yim, Yim, Yeam, Yem | | យឹម |
Nuon, Nuon, Noun, Nuon | | នួន |
Sin, Sinn, Sin, Syn | | ស៊ិន |
Long, Long, Loung, Long | | ឡុង |
Tep, Tep, Teb, Tep | | ទេព |
Chhim, Chhim, Chim, Chheum | | ឈឹម |
Kong, Kong, Kung, Kong | | គង់ |
Chhay, Chhay, Chay, Chhai | | ឆាយ |
Svay, Svay, Swai, Svai | | ស្វាយ |
Hem, Hem, Haem, Hem | | ហែម |
Uy, Uy, Ouy, Ui | | អ៊ុយ |
Sorn, Son, Sorn, Sorn | | សន |
Phan, Phan, Pan, Phann | | ផាន់ |
Nhem, Nhem, Nyem, Nhim | | ញ៉ែម |
Hun, Hun, Hunn, Hun | | ហ៊ុន |
Ung, Ung, Eung, Ung | | អ៊ឹង |
Thach, Thach, Thac, Thach | | ថាច់ |
Hang, Hang, Haang, Hang | | ហាង |
Ngin, Ngin, Ngen, Ngin | | ងិន |
Chum, Chum, Choum, Chum | | ជុំ |
Tan, Tan, Tann, Tan | | តាន់ |
Khieu, Khieu, Kheav, Khiev | | ខៀវ |
Pen, Pen, Paen, Penn | | ប៉ែន |
Oum, Oum, Um, Om | | អ៊ុំ |
Vann, Van, Vann, Vanh | | វ៉ាន់ |
Meng, Meng, Mang, Meng | | ម៉េង |
Yos, Yos, Yous, Yos | | យស |
Srun, Srun, Sroun, Srun | | ស្រ៊ុន |
"""

_KHMER_FEMALE = """
Srey+Mom, Srei+Mom, Srey+Mum, Srey+Mom | Sreymorm | ស្រីមុំ | Mom=មុំ
Sophea, Sophea, Sophia, Sopheah | Sopha | សុភា |
Bopha, Bopha, Bupha, Boppha | | បុប្ផា |
Channy, Channi, Chany, Channy | | ចាន់នី |
Srey+Pov, Srei+Pov, Srey+Pauv, Srey+Pov | | ស្រីពៅ | Pov=ពៅ
Sokha, Sokha, Sokhar, Sokhaa | | សុខា |
Chanthy, Chanthy, Chanthi, Chanthey | | ចន្ធី |
Srey+Neang, Srei+Neang, Srey+Niang, Srey+Neang | | ស្រីនាង | Neang=នាង
Malis, Malis, Maliss, Maless | | ម្លិះ |
Channary, Chanary, Channaree, Channary | | ចាន់ណារី |
Sokunthea, Sokunthea, Sokunthear, Sokonthea | | សុគន្ធា |
Ratana, Rattana, Ratana, Rathana | | រតនា |
Phalla, Phala, Phalla, Phallaa | | ផល្លា |
Thida, Thida, Tida, Theda | | ធីតា |
Chenda, Chinda, Chenda, Chendaa | | ចិន្តា |
Davy, Davi, Davy, Davey | | ដាវី |
Srey+Leak, Srei+Leak, Srey+Lek, Srey+Leakh | | ស្រីល័ក្ខ | Leak=ល័ក្ខ
Kunthea, Kunthea, Kunthear, Konthea | | គន្ធា |
Sothea, Sothea, Sothear, Sotheah | | សុធា |
Pisey, Pisei, Pisey, Pisay | | ពិសី |
Srey+Nich, Srei+Nich, Srey+Nitch, Srey+Nich | | ស្រីនិច | Nich=និច
Srey+Pich, Srei+Pech, Srey+Pitch, Srey+Pich | | ស្រីពេជ្រ | Pich=ពេជ្រ
Lina, Lina, Leena, Lina | | លីណា |
Vanny, Vanni, Vanny, Vany | | វណ្ណី |
Sophorn, Sophorn, Sophon, Sophorn | | សុភ័ណ |
Kanha, Kagna, Kanha, Kannha | | កញ្ញា |
Raksmey, Reaksmei, Raksmey, Raksmei | | រស្មី |
Leakhena, Leakhena, Lakhena, Leakena | | លក្ខិណា |
Sovannary, Sovanary, Sovannari, Sovannary | | សុវណ្ណារី |
Mealea, Mealea, Mealear, Meala | | មាលា |
Nary, Nari, Naree, Nary | | នារី |
Kim+Ly, Kim+Li, Kim+Lee, Kim+Ly | | គីមលី | Ly=លី
Sok+Leap, Sokh+Leap, Sok+Lep, Sok+Liep | | សុខលាភ | Leap=លាភ
Chantrea, Chantrea, Chantria, Chanthrea | | ចន្ទ្រា |
Rachana, Rachana, Rachanaa, Rachna | | រចនា |
Sopheap, Sopheap, Sopheab, Sophiep | | សុភាព |
Vichika, Vichika, Vicheka, Vichika | | វិចិកា |
Srey+Toch, Srei+Toch, Srey+Touch, Srey+Toch | | ស្រីតូច | Toch=តូច
Theary, Thiary, Theary, Thery | | ធារី |
Bormey, Bormei, Bormey, Baromey | | បរមី |
Srey+Mao, Srei+Mao, Srey+Mau, Srey+Mao | | ស្រីម៉ៅ | Mao=ម៉ៅ
Kolab, Kolap, Kolab, Kulab | | កុលាប |
"""

_KHMER_MALE = """
Dara, Dara, Darra, Dhara | | ដារា |
Vuthy, Vuthi, Vutthy, Voeuthy | | វុទ្ធី |
Sokhom, Sokhom, Sokhum, Sokhorm | | សុខុម |
Rithy, Rithi, Ritthy, Rithey | | រិទ្ធី |
Visal, Vissal, Visal, Veasal | | វិសាល |
Sophal, Sophal, Sophol, Sophall | | សុផល |
Vanna, Vanna, Vana, Vanna | | វណ្ណា |
Sovann, Sovan, Sovann, Sovanne | | សុវណ្ណ |
Kim+Heng, Kim+Hing, Kim+Heng, Kim+Heang | | គីមហេង | Heng=ហេង
Piseth, Piseth, Piset, Pisith | | ពិសិដ្ឋ |
Makara, Makara, Makkara, Makara | | មករា |
Kosal, Kosal, Kusal, Kossal | | កុសល |
Veasna, Veasna, Vesna, Visna | | វាសនា |
Samnang, Samnang, Somnang, Samnag | | សំណាង |
Bun+Thoeun, Bun+Thoeun, Bun+Thuon, Bun+Thoen | | ប៊ុនធឿន | Thoeun=ធឿន
Vichea, Vichea, Vichia, Vicheah | | វិជ្ជា |
Rotha, Rotha, Ratha, Rottha | | រដ្ឋា |
Sothy, Sothi, Sothy, Sothey | | សុធី |
Chan+Dara, Chan+Dara, Chan+Darra, Chann+Dara | | ចាន់ដារា | Dara=ដារា
Sok+Heng, Sokh+Heng, Sok+Hing, Sok+Heng | | សុខហេង | Heng=ហេង
Bunna, Bunna, Buna, Bunnah | | ប៊ុនណា |
Seyha, Seiha, Seyha, Sayha | | សីហា |
Virak, Virak, Veerak, Virakk | | វីរៈ |
Pheakdey, Pheakdei, Peakdey, Pheakdy | | ភក្តី |
Vannak, Vannak, Vanak, Vannakk | | វណ្ណៈ |
Sambath, Sambath, Sambat, Sombath | | សម្បត្តិ |
Chamroeun, Chamroeun, Chamroen, Chomroeun | | ចំរើន |
Ponleu, Ponleu, Ponlue, Ponleur | | ពន្លឺ |
Thearith, Thearith, Tearith, Thearit | | ធារិទ្ធ |
Sokun, Sokun, Sokhun, Sokunn | | សុគុណ |
Sarath, Sarath, Sarat, Sarrath | | សារ៉ាត់ |
Kim+Sour, Kim+Sour, Kim+Suor, Kim+Sor | | គីមសួរ | Sour=សួរ
Narith, Narith, Narit, Nareth | | ណារិទ្ធ |
Vibol, Vibol, Vibul, Veabol | | វិបុល |
Tola, Tola, Tula, Tolla | | តុលា |
Mony, Moni, Mony, Monny | | មុន្នី |
Sopheak, Sopheak, Sophiak, Sopheakk | | សុភ័ក្រ |
Bora, Bora, Borra, Boraa | | បូរ៉ា |
Ratanak, Rattanak, Ratanak, Rathanak | | រតនៈ |
Samay, Samai, Samay, Samey | | សម័យ |
Kim+Leang, Kim+Leang, Kim+Liang, Kim+Leang | | គីមលាង | Leang=លាង
Lyhour, Lihour, Lyhuor, Lyhor | | លីហួរ |
Phearum, Phearum, Pearum, Phearom | | ភារម្យ |
Dalin, Dalin, Daleen, Dalinn | | ដាលីន |
Meng+Hour, Meng+Hour, Meng+Huor, Meng+Hor | | ម៉េងហួរ | Hour=ហួរ
"""

# Khmer compound tail: prefixes and second syllables (four spellings | script | sex affinity).
_KHMER_PREFIXES = """
Srey, Srei, Srey, Srey | ស្រី | f
Sok, Sokh, Sok, Sok | សុខ | m
Kim, Kim, Kim, Kym | គីម | m
Chan, Chanh, Chan, Chann | ចាន់ | m
Bun, Bun, Boun, Bun | ប៊ុន | m
Meng, Meng, Mang, Meng | ម៉េង | m
"""

_KHMER_SYLLABLES = """
Leak, Leak, Lek, Leakh | ល័ក្ខ | f
Nich, Nich, Nitch, Nich | និច | f
Pich, Pech, Pitch, Pich | ពេជ្រ | u
Toch, Toch, Touch, Tauch | តូច | u
Mao, Mau, Mao, Mao | ម៉ៅ | u
Na, Na, Nah, Na | ណា | u
Ka, Ka, Kar, Ka | កា | f
Roth, Roth, Rot, Rath | រ័ត្ន | u
Pheap, Pheap, Peap, Pheab | ភាព | f
Lin, Lin, Linn, Lin | លីន | u
Heng, Heng, Hing, Heang | ហេង | m
Leap, Leap, Lep, Liep | លាភ | u
Hour, Hour, Huor, Hor | ហួរ | m
Thy, Thy, Thi, Thy | ធី | u
Ly, Ly, Lee, Li | លី | u
Sour, Sour, Suor, Sor | សួរ | m
Leang, Leang, Liang, Leang | លាង | m
Vy, Vy, Vi, Vy | វី | u
Mey, Mei, Mey, Mei | ម៉ី | f
Rith, Rith, Rit, Reth | រិទ្ធ | m
Nary, Nari, Naree, Nary | ណារី | f
Dara, Dara, Darra, Dhara | ដារា | m
Oun, Oun, Un, Oun | អូន | f
Neath, Neath, Niet, Neat | នាថ | f
Chea, Chea, Chia, Jea | ជា | m
Seng, Seng, Sing, Saeng | សេង | m
Lay, Lay, Lai, Lay | ឡាយ | m
Hong, Hong, Hung, Hong | ហុង | m
Eang, Eang, Ieng, Eang | អៀង | u
"""

# Nicknames Khmer parents give to small children whatever their name.
_KHMER_GENERIC_NICKNAMES = (
    ("Pov", "ពៅ"),
    ("Toch", "តូច"),
    ("Thom", "ធំ"),
    ("Mey", "ម៉ី"),
    ("Vy", "វី"),
    ("A Pov", "អាពៅ"),
    ("Oun", "អូន"),
)

_UKRAINE_MALE = """
Oleksandr, Aleksandr, Alexander, Oleksander | Olexandr, Alexandr, Aleksander | \
    Олександр, Александр | Sasha=Саша, Sashko=Сашко, Sanya=Саня
Ivan, Ivan, Ivan, Ivan | Iwan | Іван, Иван | Vanya=Ваня, Ivanko=Іванко
Mykola, Nikolai, Nikolay, Mikola | Nikolaj, Mykolai | Микола, Николай | Kolya=Коля
Serhii, Sergey, Sergei, Serhiy | Sergiy, Serhij, Sergii | Сергій, Сергей | Seryozha=Серьожа
Andrii, Andrey, Andrei, Andriy | Andrij, Andrew | Андрій, Андрей | \
    Andriiko=Андрійко, Andryusha=Андрюша
Dmytro, Dmitry, Dmitriy, Dmitro | Dmitrii | Дмитро, Дмитрий | Dima=Діма, Dimka=Дімка
Volodymyr, Vladimir, Volodimir, Volodymyr | Wolodymyr | Володимир, Владимир | \
    Volodya=Володя, Vova=Вова
Maksym, Maksim, Maxim, Maksym | Maxym | Максим, Максим | Max=Макс, Maksymko=Максимко
Artem, Artyom, Artem, Artem | Artiom | Артем, Артём | Tema=Тьома
Yevhen, Evgeniy, Yevgeny, Yevgen | Ievgen, Evgenii, Eugene | Євген, Евгений | Zhenya=Женя
Denys, Denis, Denis, Denys | | Денис, Денис | Denchyk=Денчик
Bohdan, Bogdan, Bogdan, Bogdan | | Богдан, Богдан | Bodya=Бодя
Danylo, Daniil, Danilo, Danylo | Danila | Данило, Даниил | Danya=Даня
Vladyslav, Vladislav, Vladislav, Vladyslav | | Владислав, Владислав | Vlad=Влад, Slavik=Славік
Yurii, Yuriy, Yuri, Yuriy | Iurii, Yury | Юрій, Юрий | Yura=Юра
Oleh, Oleg, Oleg, Oleh | | Олег, Олег | Olezhka=Олежка
Viktor, Viktor, Victor, Viktor | | Віктор, Виктор | Vitya=Вітя
Vasyl, Vasiliy, Vasily, Vasyl | Wasyl, Vasil | Василь, Василий | Vasya=Вася
Petro, Pyotr, Petr, Petro | Peter | Петро, Пётр | Petya=Петя, Petryk=Петрик
Pavlo, Pavel, Pavel, Pavlo | Paul | Павло, Павел | Pasha=Паша
Mykhailo, Mikhail, Michael, Mykhaylo | Mihail, Mikhailo | Михайло, Михаил | Misha=Міша
Taras, Taras, Taras, Taras | | Тарас, Тарас | Tarasyk=Тарасик
Roman, Roman, Roman, Roman | | Роман, Роман | Roma=Рома
Ihor, Igor, Igor, Igor | | Ігор, Игорь | Ihorko=Ігорко
Anatolii, Anatoliy, Anatoly, Anatoliy | | Анатолій, Анатолий | Tolya=Толя
Kyrylo, Kirill, Kirill, Kyrylo | Kyrilo | Кирило, Кирилл | Kiryusha=Кірюша
Nazar, Nazar, Nazar, Nazar | | Назар, Назар | Nazarchyk=Назарчик
Matvii, Matvey, Matvei, Matviy | | Матвій, Матвей | Motya=Мотя
Tymofii, Timofey, Timofei, Tymofiy | Timofii | Тимофій, Тимофей | Tima=Тіма
Illia, Ilya, Ilia, Illya | Ilja | Ілля, Илья | Illiusha=Іллюша
Yaroslav, Yaroslav, Iaroslav, Yaroslav | | Ярослав, Ярослав | Yarik=Ярік, Slavko=Славко
Stanislav, Stanislav, Stanislav, Stanislav | | Станіслав, Станислав | Stas=Стас
Vitalii, Vitaliy, Vitaly, Vitaliy | | Віталій, Виталий | Vitalik=Віталік
Ostap, Ostap, Ostap, Ostap | | Остап, Остап | Ostapchyk=Остапчик
Mark, Mark, Mark, Mark | | Марк, Марк | Markusha=Маркуша
Yehor, Egor, Yegor, Yehor | Iehor | Єгор, Егор | Yehorchyk=Єгорчик
Arsenii, Arseniy, Arseny, Arseniy | | Арсеній, Арсений | Arsen=Арсен
Rostyslav, Rostislav, Rostislav, Rostyslav | | Ростислав, Ростислав | Rostyk=Ростик
Myroslav, Miroslav, Miroslav, Myroslav | | Мирослав, Мирослав | Myros=Мирось
Vsevolod, Vsevolod, Vsevolod, Vsevolod | | Всеволод, Всеволод | Seva=Сева
"""

_UKRAINE_FEMALE = """
Anastasiia, Anastasia, Anastasiya, Anastasiya | Anastasija | Анастасія, Анастасия | \
    Nastya=Настя, Nastia=Настя
Sofiia, Sofia, Sophia, Sofiya | Sofija | Софія, София | Sonya=Соня
Mariia, Maria, Mariya, Mariya | Marija | Марія, Мария | Masha=Маша, Marichka=Марічка
Anna, Anna, Anna, Hanna | Ganna | Анна, Анна | Anya=Аня, Hanusia=Ганнуся
Daria, Darya, Daria, Dariia | Darja | Дарія, Дарья | Dasha=Даша
Viktoriia, Viktoria, Victoria, Viktoriya | | Вікторія, Виктория | Vika=Віка
Kateryna, Ekaterina, Katerina, Kateryna | Yekaterina, Katherine | Катерина, Екатерина | Katya=Катя
Olena, Elena, Yelena, Olena | Helen | Олена, Елена | Lena=Лена, Olenka=Оленка
Yuliia, Yulia, Julia, Yuliya | Iuliia | Юлія, Юлия | Yulya=Юля
Iryna, Irina, Irina, Iryna | | Ірина, Ирина | Ira=Іра
Tetiana, Tatiana, Tatyana, Tetyana | Tatjana | Тетяна, Татьяна | Tanya=Таня
Nataliia, Natalia, Natalya, Nataliya | | Наталія, Наталья | Natasha=Наташа
Oksana, Oksana, Oxana, Oksana | | Оксана, Оксана | Oksanka=Оксанка
Alina, Alina, Alina, Alina | | Аліна, Алина | Alinka=Алінка
Polina, Polina, Polina, Polina | | Поліна, Полина | Polya=Поля
Veronika, Veronika, Veronica, Veronika | | Вероніка, Вероника | Nika=Ніка
Zlata, Zlata, Zlata, Zlata | | Злата, Злата | Zlatka=Златка
Solomiia, Solomiya, Solomia, Solomiya | | Соломія, Соломия | Solia=Соля
Khrystyna, Kristina, Christina, Khrystyna | Hrystyna | Христина, Кристина | Khrystia=Христя
Valentyna, Valentina, Valentina, Valentyna | | Валентина, Валентина | Valia=Валя
Halyna, Galina, Galina, Halyna | | Галина, Галина | Halia=Галя
Liudmyla, Lyudmila, Ludmila, Lyudmyla | | Людмила, Людмила | Liuda=Люда
Svitlana, Svetlana, Svetlana, Svitlana | | Світлана, Светлана | Sveta=Света
Olha, Olga, Olga, Olga | | Ольга, Ольга | Olya=Оля
Yana, Yana, Iana, Yana | | Яна, Яна | Yanochka=Яночка
Diana, Diana, Diana, Diana | | Діана, Диана | Dianka=Діанка
Vira, Vera, Vera, Vira | | Віра, Вера | Virochka=Вірочка
Nadiia, Nadezhda, Nadia, Nadiya | | Надія, Надежда | Nadia=Надя
Liubov, Lyubov, Lubov, Lyubov | | Любов, Любовь | Liuba=Люба
Myroslava, Miroslava, Miroslava, Myroslava | | Мирослава, Мирослава | Slava=Слава
Uliana, Ulyana, Ulyana, Uliana | | Уляна, Ульяна | Ulia=Уля
Yevheniia, Evgeniya, Eugenia, Yevgeniya | | Євгенія, Евгения | Zhenya=Женя
Oleksandra, Aleksandra, Alexandra, Oleksandra | | Олександра, Александра | Sasha=Саша
Kira, Kira, Kira, Kira | | Кіра, Кира | Kirochka=Кірочка
Milana, Milana, Milana, Milana | | Мілана, Милана | Mila=Міла
Vasylyna, Vasilina, Vasilina, Vasylyna | | Василина, Василина | Vasylynka=Василинка
Yaryna, Yarina, Iaryna, Yaryna | | Ярина, Ярина | Yarynka=Яринка
Larysa, Larisa, Larisa, Larysa | | Лариса, Лариса | Lara=Лара
Inna, Inna, Inna, Inna | | Інна, Инна | Innochka=Інночка
Marta, Marta, Martha, Marta | | Марта, Марта | Martusia=Мартуся
"""

# Surnames: flag "f" marks surnames with a feminine form (-ov/-ova, -skyi/-ska).
_UKRAINE_SURNAMES = """
Shevchenko, Shevchenko, Shevchenko, Shevchenko | | Шевченко | |
Kovalenko, Kovalenko, Kovalenko, Kovalenko | | Коваленко | |
Bondarenko, Bondarenko, Bondarenko, Bondarenko | | Бондаренко | |
Tkachenko, Tkachenko, Tkachenko, Tkachenko | | Ткаченко | |
Kravchenko, Kravchenko, Kravchenko, Kravchenko | | Кравченко | |
Melnyk, Melnik, Melnik, Melnyk | Melnyck | Мельник | |
Boiko, Boyko, Boyko, Boyko | | Бойко | |
Kovalchuk, Kovalchuk, Kovalchuk, Kovalchuk | | Ковальчук | |
Koval, Koval, Koval, Koval | | Коваль | |
Shevchuk, Shevchuk, Shevchuk, Shevchuk | | Шевчук | |
Polishchuk, Polishchuk, Polischuk, Polishchuk | Polyshchuk | Поліщук | |
Oliinyk, Oleynik, Oliynyk, Oliynyk | Oleinik | Олійник | |
Lysenko, Lisenko, Lysenko, Lysenko | | Лисенко | |
Marchenko, Marchenko, Marchenko, Marchenko | | Марченко | |
Moroz, Moroz, Moroz, Moroz | | Мороз | |
Savchenko, Savchenko, Savchenko, Savchenko | | Савченко | |
Rudenko, Rudenko, Rudenko, Rudenko | | Руденко | |
Petrenko, Petrenko, Petrenko, Petrenko | | Петренко | |
Klymenko, Klimenko, Klimenko, Klymenko | | Клименко | |
Pavlenko, Pavlenko, Pavlenko, Pavlenko | | Павленко | |
Ivanov, Ivanov, Ivanov, Ivanov | | Іванов | | f
Savchuk, Savchuk, Savchuk, Savchuk | | Савчук | |
Kuzmenko, Kuzmenko, Kuzmenko, Kuzmenko | | Кузьменко | |
Ponomarenko, Ponomarenko, Ponomarenko, Ponomarenko | | Пономаренко | |
Vasylenko, Vasilenko, Vasilenko, Vasylenko | | Василенко | |
Levchenko, Levchenko, Levchenko, Levchenko | | Левченко | |
Kharchenko, Kharchenko, Harchenko, Kharchenko | | Харченко | |
Karpenko, Karpenko, Karpenko, Karpenko | | Карпенко | |
Tkachuk, Tkachuk, Tkachuk, Tkachuk | | Ткачук | |
Zinchenko, Zinchenko, Zintchenko, Zinchenko | | Зінченко | |
Hrytsenko, Gritsenko, Hritsenko, Grytsenko | | Гриценко | |
Petrov, Petrov, Petrov, Petrov | | Петров | | f
Kuznetsov, Kuznetsov, Kuznetsov, Kuznietsov | | Кузнєцов | | f
Popov, Popov, Popov, Popov | | Попов | | f
Sokolov, Sokolov, Sokolov, Sokolov | | Соколов | | f
Lytvynenko, Litvinenko, Litvinenko, Lytvynenko | | Литвиненко | |
Stepanenko, Stepanenko, Stepanenko, Stepanenko | | Степаненко | |
Prokopenko, Prokopenko, Prokopenko, Prokopenko | | Прокопенко | |
Yakovenko, Yakovenko, Iakovenko, Yakovenko | | Яковенко | |
Hnatiuk, Gnatyuk, Hnatyuk, Hnatyuk | | Гнатюк | |
Fedorenko, Fedorenko, Fedorenko, Fedorenko | | Федоренко | |
Romaniuk, Romanyuk, Romanyuk, Romaniuk | | Романюк | |
Kostenko, Kostenko, Kostenko, Kostenko | | Костенко | |
Lytvyn, Litvin, Litvin, Lytvyn | | Литвин | |
Kovalevskyi, Kovalevsky, Kovalevskiy, Kovalevskyy | | Ковалевський | | f
Sydorenko, Sidorenko, Sidorenko, Sydorenko | | Сидоренко | |
Holub, Golub, Holub, Golub | | Голуб | |
Kozak, Kozak, Kozak, Kozak | | Козак | |
Didenko, Didenko, Didenko, Didenko | | Діденко | |
Kravets, Kravets, Kravetz, Kravets | | Кравець | |
Dmytrenko, Dmitrenko, Dmytrenko, Dmytrenko | | Дмитренко | |
Hryhorenko, Grigorenko, Hryhorenko, Grygorenko | | Григоренко | |
Zaitsev, Zaytsev, Zaitsev, Zaitsev | | Зайцев | | f
Volkov, Volkov, Volkov, Volkov | | Волков | | f
Novikov, Novikov, Novikov, Novikov | | Новіков | | f
Yurchenko, Yurchenko, Iurchenko, Yurchenko | | Юрченко | |
Ostapenko, Ostapenko, Ostapenko, Ostapenko | | Остапенко | |
Vlasenko, Vlasenko, Vlasenko, Vlasenko | | Власенко | |
Bilous, Belous, Bilous, Bilous | | Білоус | |
Zhuk, Zhuk, Zhuk, Zhuk | | Жук | |
Sheremet, Sheremet, Sheremet, Sheremet | | Шеремет | |
Vovk, Vovk, Vovk, Vovk | | Вовк | |
Demchenko, Demchenko, Demchenko, Demchenko | | Демченко | |
Nesterenko, Nesterenko, Nesterenko, Nesterenko | | Нестеренко | |
Horbunov, Gorbunov, Horbunov, Gorbunov | | Горбунов | | f
Zhytomyrskyi, Zhitomirsky, Zhytomyrskiy, Zhytomyrskyy | | Житомирський | | f
"""

# The long tail of Ukrainian surnames: a stem (mostly from a given name or a trade) and a
# suffix. Stem: Latin (Ukrainian national) and Cyrillic.
_UKRAINE_STEMS = """
Havryl Гаврил
Hnat Гнат
Danyl Данил
Demyd Демид
Ostap Остап
Makar Макар
Nazar Назар
Martyn Мартин
Semen Семен
Tymosh Тимош
Yakym Яким
Zakhar Захар
Lukian Лук'ян
Prokop Прокоп
Trokhym Трохим
Kost Кост
Harasym Гарасим
Pylyp Пилип
Vakul Вакул
Yarem Ярем
Ivash Іваш
Yats Яц
Kyryl Кирил
Sav Сав
Mykhal Михал
Ihnat Ігнат
Hordi Горді
Tsyhan Циган
Kushnir Кушнір
Bondar Бондар
Kharyt Харит
Melnych Мельнич
Mazur Мазур
Sydor Сидор
Dorosh Дорош
Onysh Оніщ
Kuchm Кучм
Lev Лев
Fed Федь
Radch Радч
"""
_UKRAINE_SUFFIXES = (
    ("enko", "енко"),
    ("chuk", "чук"),
    ("iuk", "юк"),
    ("ets", "ець"),
    ("iak", "як"),
)

# Separation towns: lat, lon, weight | four spellings | other spellings | script.
_SUDAN_TOWNS = """
13.45, 22.44, 5 | El Geneina, Al-Junaynah, El Geneina, Geneina | Al Geneina, Genaina, Al-Geneina | \
    الجنينة
12.05, 24.88, 3 | Nyala, Nyala, Nyala, Niyala | | نيالا
13.63, 25.35, 4 | El Fasher, Al-Fashir, El Facher, Fasher | Al Fasher, El Fashir | الفاشر
12.91, 23.47, 2 | Zalingei, Zalingi, Zalingei, Zalingay | Zalinge | زالنجي
14.20, 24.66, 1 | Kutum, Kutum, Koutoum, Kutum | Kutom | كتم
12.95, 22.87, 1 | Mornei, Murnei, Mornei, Morni | Murni | مورني
13.33, 22.68, 1 | Kreinik, Kerenik, Kreinik, Krinding | Kereneik | كرينك
13.47, 24.85, 2 | Tawila, Tawilah, Tawila, Taweela | | طويلة
13.65, 24.08, 1 | Kabkabiya, Kabkabiyah, Kebkabiya, Kabkabia | | كبكابية
12.96, 22.33, 1 | Misterei, Mistiri, Misteray, Mistere | | مستري
13.69, 22.57, 1 | Sirba, Sirbah, Sirba, Serba | | سربا
13.47, 22.20, 2 | Adre, Adri, Adré, Adry | Adrey | أدري
15.00, 22.82, 1 | Tine, Al-Tina, Tiné, Tina | | الطينة
12.22, 21.41, 1 | Goz Beida, Quz Bayda, Goz Beïda, Goz Beda | | قوز بيضة
14.42, 22.55, 1 | Kulbus, Kulbus, Koulbous, Kolbus | | كلبس
"""
_KHMER_TOWNS = """
13.66, 102.56, 3 | Poipet, Paoy Paet, Poi Pet, Poypet | | ប៉ោយប៉ែត
13.10, 103.20, 2 | Battambang, Batdambang, Battambang, Battambong | | បាត់ដំបង
14.18, 103.52, 3 | Samraong, Samrong, Samraong, Samroang | | សំរោង
14.23, 104.08, 3 | Anlong Veng, Anlong Veaeng, Anlong Veng, Anlongveng | | អន្លង់វែង
12.85, 102.61, 2 | Pailin, Pailin, Pai Lin, Pailin | | ប៉ៃលិន
13.94, 103.07, 2 | Thma Puok, Thmar Pouk, Thma Puok, Thmar Puok | | ថ្មពួក
13.59, 102.97, 2 | Sisophon, Serei Saophoan, Sisophon, Sisaphon | | ស៊ីសុផុន
14.21, 104.96, 1 | Choam Ksant, Choam Khsant, Choam Ksant, Choam Ksan | | ជាំក្សាន្ត
13.81, 104.98, 1 | Tbeng Meanchey, Tbaeng Mean Chey, Tbeng Meanchey, Tbeng Mean Chey | | ត្បែងមានជ័យ
14.07, 103.81, 1 | Trapeang Prasat, Trapaing Prasat, Trapeang Prasat, Trapeang Prasath | \
    | ត្រពាំងប្រាសាទ
13.58, 103.42, 1 | Kralanh, Kralanh, Kralan, Kralanh | | ក្រឡាញ់
13.25, 102.80, 1 | Phnom Proek, Phnum Proek, Phnom Preuk, Phnom Prek | | ភ្នំព្រឹក
"""
_UKRAINE_TOWNS = """
49.99, 36.23, 4 | Kharkiv, Kharkov, Kharkiv, Kharkiv | Charkiv | Харків
47.10, 37.55, 4 | Mariupol, Mariupol, Mariupol, Mariupol | Mariupil | Маріуполь
46.64, 32.61, 3 | Kherson, Kherson, Kherson, Herson | | Херсон
47.84, 35.14, 2 | Zaporizhzhia, Zaporozhye, Zaporizhia, Zaporizhzhya | Zaporozhie | Запоріжжя
48.59, 38.00, 2 | Bakhmut, Bakhmut, Bakhmut, Bahmut | | Бахмут
49.21, 37.26, 2 | Izium, Izyum, Izyum, Izium | | Ізюм
49.71, 37.61, 2 | Kupiansk, Kupyansk, Kupiansk, Kupyansk | | Куп'янськ
48.95, 38.49, 2 | Sievierodonetsk, Severodonetsk, Severodonetsk, Sieverodonetsk | | Сєвєродонецьк
48.28, 37.18, 2 | Pokrovsk, Pokrovsk, Pokrovsk, Pokrovs'k | | Покровськ
48.72, 37.56, 2 | Kramatorsk, Kramatorsk, Kramatorsk, Kramators'k | | Краматорськ
50.91, 34.80, 1 | Sumy, Sumy, Sumy, Sumi | | Суми
51.50, 31.29, 1 | Chernihiv, Chernigov, Chernihiv, Chernigiv | | Чернігів
50.54, 30.21, 1 | Bucha, Bucha, Bucha, Bucha | | Буча
46.85, 35.37, 2 | Melitopol, Melitopol, Melitopol, Melitopil | | Мелітополь
46.97, 31.99, 1 | Mykolaiv, Nikolaev, Mykolaiv, Mykolayiv | Nikolayev | Миколаїв
48.14, 37.75, 1 | Avdiivka, Avdeevka, Avdiivka, Avdiyivka | | Авдіївка
50.29, 36.94, 1 | Vovchansk, Volchansk, Vovchansk, Vovchans'k | | Вовчанськ
48.99, 37.80, 1 | Lyman, Liman, Lyman, Lyman | | Лиман
46.75, 33.37, 1 | Nova Kakhovka, Novaya Kakhovka, Nova Kakhovka, Nova Kahovka | | Нова Каховка
"""
# Where registered children are now (camps, interim care, host towns): lat, lon, weight.
_CURRENT_SITES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "sudan": (
        (13.47, 22.20, 4),  # Adre
        (13.40, 22.12, 2),  # Ourang
        (13.60, 21.50, 2),  # Farchana
        (13.83, 20.83, 1),  # Abeche
        (12.22, 21.41, 1),  # Goz Beida
        (13.47, 24.85, 2),  # Tawila
        (13.95, 21.95, 1),  # Metche
    ),
    "khmer": (
        (13.36, 103.86, 3),  # Siem Reap
        (13.10, 103.20, 2),  # Battambang
        (11.56, 104.92, 2),  # Phnom Penh
        (13.59, 102.97, 2),  # Sisophon
        (12.71, 104.89, 1),  # Kampong Thom
    ),
    "ukraine": (
        (49.84, 24.03, 3),  # Lviv
        (50.45, 30.52, 3),  # Kyiv
        (48.46, 35.05, 2),  # Dnipro
        (49.59, 34.55, 1),  # Poltava
        (49.23, 28.47, 1),  # Vinnytsia
        (48.29, 25.94, 1),  # Chernivtsi
        (52.23, 21.01, 1),  # Warsaw
        (50.06, 19.94, 1),  # Krakow
        (47.01, 28.86, 1),  # Chisinau
    ),
}
# Home languages and weights; the lingua franca a child's record may give instead.
_LANGUAGES: dict[str, tuple[tuple[str, float], ...]] = {
    "sudan": (("Arabic", 0.5), ("Masalit", 0.18), ("Fur", 0.15), ("Zaghawa", 0.12), ("Tama", 0.05)),
    "khmer": (("Khmer", 0.96), ("Thai", 0.02), ("Kuy", 0.02)),
    "ukraine": (("Ukrainian", 0.68), ("Russian", 0.32)),
}
_LINGUA_FRANCA = {"sudan": "Arabic", "khmer": "Khmer", "ukraine": "Ukrainian"}
_QUALIFIERS = ("near {}", "{} market", "road to {}", "outside {}", "{} camp", "{} bus station")


@dataclass(frozen=True, slots=True)
class _Name:
    """A name (or place) with its spellings; feminine forms for surnames, patronymics."""

    styles: tuple[str, ...]  # one spelling per writer style
    variants: tuple[str, ...]  # every Latin spelling known
    script: tuple[str, str]  # original script: native, and Russian Cyrillic for Ukraine
    nicks: tuple[tuple[str, str], ...] = ()  # (Latin, script)
    fem_styles: tuple[str, ...] = ()
    fem_variants: tuple[str, ...] = ()
    fem_script: tuple[str, str] = ("", "")
    patr_m: tuple[str, ...] = ()  # 4 styles, Ukrainian Cyrillic, Russian Cyrillic
    patr_f: tuple[str, ...] = ()


def _items(field: str) -> list[str]:
    return [item.strip() for item in field.split(",") if item.strip()]


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _fem_latin(text: str) -> str:
    for ending, feminine in (
        ("skyi", "ska"),
        ("skyy", "ska"),
        ("skiy", "skaya"),
        ("sky", "skaya"),
    ):
        if text.endswith(ending):
            return text[: -len(ending)] + feminine
    if text.endswith(("ov", "ev")):
        return text + "a"
    return text


def _fem_cyrillic(text: str) -> str:
    for ending, feminine in (("ський", "ська"), ("цький", "цька"), ("ский", "ская")):
        if text.endswith(ending):
            return text[: -len(ending)] + feminine
    if text.endswith(("ов", "ев", "єв")):
        return text + "а"
    return text


def _patr_ukr(name: str) -> tuple[str, str]:
    if name.endswith(("ii", "iy", "ij")):
        return name + "ovych", name + ("vna" if name.endswith("ii") else "ivna")
    if name.endswith("o"):
        return name[:-1] + "ovych", name[:-1] + "ivna"
    return name + "ovych", name + "ivna"


def _patr_rus(name: str) -> tuple[str, str]:
    if name.endswith(("iy", "ii")):
        return name[:-2] + "ievich", name[:-2] + "ievna"
    if name.endswith(("ey", "ei")):
        return name[:-2] + "eevich", name[:-2] + "eevna"
    if name.endswith(("ai", "ay")):
        return name[:-1] + "evich", name[:-1] + "evna"
    if name.endswith("y"):
        return name[:-1] + "ievich", name[:-1] + "ievna"
    return name + "ovich", name + "ovna"


def _patr_ukr_cyr(name: str) -> tuple[str, str]:
    if name.endswith("й"):
        return name + "ович", name[:-1] + "ївна"
    if name.endswith("о"):
        return name[:-1] + "ович", name[:-1] + "івна"
    if name.endswith("ь"):
        return name + "ович", name[:-1] + "івна"
    return name + "ович", name + "івна"


def _patr_rus_cyr(name: str) -> tuple[str, str]:
    if name.endswith(("й", "ь")):
        return name[:-1] + "евич", name[:-1] + "евна"
    return name + "ович", name + "овна"


# Irregular patronymics: (Latin Ukrainian, Latin Russian, Ukrainian Cyrillic, Russian Cyrillic).
_PATR_IRREGULAR: dict[str, dict[str, tuple[str, str]]] = {
    "Mykola": {
        "ukr": ("Mykolaiovych", "Mykolaivna"),
        "rus": ("Nikolaevich", "Nikolaevna"),
        "ukr_cyr": ("Миколайович", "Миколаївна"),
    },
    "Illia": {
        "ukr": ("Illich", "Illivna"),
        "rus": ("Ilyich", "Ilyinichna"),
        "ukr_cyr": ("Ілліч", "Іллівна"),
        "rus_cyr": ("Ильич", "Ильинична"),
    },
    "Petro": {"rus": ("Petrovich", "Petrovna"), "rus_cyr": ("Петрович", "Петровна")},
    "Pavlo": {"rus": ("Pavlovich", "Pavlovna"), "rus_cyr": ("Павлович", "Павловна")},
    "Ihor": {"rus": ("Igorevich", "Igorevna")},
    "Vasyl": {"rus_cyr": ("Васильевич", "Васильевна")},
}


def _patronymics(styles: Sequence[str], script: tuple[str, str]) -> tuple[tuple[str, ...], ...]:
    irregular = _PATR_IRREGULAR.get(styles[0], {})
    ukr0 = irregular.get("ukr", _patr_ukr(styles[0]))
    ukr3 = irregular.get("ukr", _patr_ukr(styles[3]))
    rus = irregular.get("rus", _patr_rus(styles[1]))
    ukr_cyr = irregular.get("ukr_cyr", _patr_ukr_cyr(script[0]))
    rus_cyr = irregular.get("rus_cyr", _patr_rus_cyr(script[1]))
    forms = (ukr0, rus, rus, ukr3, ukr_cyr, rus_cyr)
    return tuple(f[0] for f in forms), tuple(f[1] for f in forms)


def _parse_names(block: str, *, patronymics: bool = False) -> list[_Name]:
    names = []
    for line in block.strip().splitlines():
        fields = [f.strip() for f in line.split("|")] + [""] * 5
        styles = tuple(_items(fields[0]))
        if len(styles) != 4:
            raise ValueError(f"need four spellings: {line}")
        scripts = _items(fields[2])
        script = (scripts[0], scripts[-1])
        nicks = []
        for item in _items(fields[3]):
            latin, _, native = item.partition("=")
            nicks.append((latin, native or latin))
        variants = _unique([*styles, *_items(fields[1])])
        name = _Name(styles, variants, script, tuple(nicks), styles, variants, script)
        if fields[4] == "f":
            name = _Name(
                styles,
                variants,
                script,
                tuple(nicks),
                tuple(_fem_latin(s) for s in styles),
                _unique([_fem_latin(s) for s in variants]),
                (_fem_cyrillic(script[0]), _fem_cyrillic(script[1])),
            )
        if patronymics:
            patr_m, patr_f = _patronymics(styles, script)
            name = _Name(
                name.styles,
                name.variants,
                name.script,
                name.nicks,
                name.fem_styles,
                name.fem_variants,
                name.fem_script,
                patr_m,
                patr_f,
            )
        names.append(name)
    return names


def _sudan_abd_tail() -> list[_Name]:
    names = []
    for line in _SUDAN_ABD.strip().splitlines():
        stem, arabic, letter = line.split()
        french = f"Abd{'e' + stem[0].lower() if letter == 'sun' else 'el'}+{stem}"
        styles = (f"Abdel+{stem}", f"Abd al-{stem}", french, f"Abdul+{stem}")
        variants = _unique([*styles, f"Abd El{stem.lower()}", f"Abdal+{stem}"])
        script = (f"عبد {arabic}", f"عبد {arabic}")
        names.append(_Name(styles, variants, script, (), styles, variants, script))
    return names


def _khmer_tail(explicit: Sequence[_Name]) -> tuple[list[_Name], list[_Name]]:
    """Compound Khmer given names (prefix + syllable): (female, male)."""

    def parse(block: str) -> list[tuple[tuple[str, ...], str, str]]:
        out = []
        for line in block.strip().splitlines():
            spell, script, sex = (f.strip() for f in line.split("|"))
            out.append((tuple(_items(spell)), script, sex))
        return out

    known = {n.styles[0] for n in explicit}
    female: list[_Name] = []
    male: list[_Name] = []
    for p_spell, p_script, p_sex in parse(_KHMER_PREFIXES):
        for s_spell, s_script, s_sex in parse(_KHMER_SYLLABLES):
            if p_spell[0] == s_spell[0]:
                continue
            styles = tuple(f"{a}+{b}" for a, b in zip(p_spell, s_spell, strict=True))
            if styles[0] in known:
                continue
            script = (p_script + s_script, p_script + s_script)
            name = _Name(styles, styles, script, ((s_spell[0], s_script),), styles, styles, script)
            if p_sex == "f":
                if s_sex != "m":
                    female.append(name)
            elif s_sex == "f":
                if p_spell[0] in ("Sok", "Kim", "Chan"):
                    female.append(name)
            else:
                male.append(name)
    shuffler = random.Random(20261101)
    shuffler.shuffle(female)
    shuffler.shuffle(male)
    return female, male


def _ukraine_surname_tail(head: Sequence[_Name]) -> list[_Name]:
    known = {n.styles[0] for n in head}
    names = []
    for line in _UKRAINE_STEMS.strip().splitlines():
        stem, cyr = line.split()
        for suffix, cyr_suffix in _UKRAINE_SUFFIXES:
            ukr = stem + suffix
            if ukr in known or (suffix == "ets" and stem.endswith("ts")):
                continue
            if cyr_suffix[0] in "юя" and cyr[-1] in "бпвмфр":
                cyr_name = cyr + "'" + cyr_suffix
            elif cyr_suffix == "ець" and cyr.endswith("ь"):
                cyr_name = cyr[:-1] + cyr_suffix
            else:
                cyr_name = cyr + cyr_suffix
            soft = ukr.replace("iu", "yu").replace("ia", "ya")
            russian = re.sub(r"(?<=[a-z])y", "i", ukr)
            russian = re.sub(r"(?<![kzcsKZCS])h", "g", russian).replace("H", "G")
            russian = russian.replace("iu", "yu").replace("ia", "ya")
            styles = (ukr, russian, soft, soft)
            script = (cyr_name, cyr_name)
            names.append(
                _Name(styles, _unique(styles), script, (), styles, _unique(styles), script)
            )
    random.Random(20261102).shuffle(names)
    return names


def _zipf(count: int, exponent: float, offset: float) -> FloatArray:
    weights = 1.0 / (np.arange(count, dtype=np.float64) + offset) ** exponent
    result: FloatArray = weights / weights.sum()
    return result


@dataclass(frozen=True, slots=True)
class _Town:
    name: _Name
    lat: float
    lon: float
    weight: float


def _parse_towns(block: str) -> list[_Town]:
    towns = []
    for line in block.strip().splitlines():
        head, spell, extra, script = (f.strip() for f in line.split("|"))
        lat, lon, weight = (float(x) for x in head.split(","))
        styles = tuple(_items(spell))
        name = _Name(styles, _unique([*styles, *_items(extra)]), (script, script))
        towns.append(_Town(name, lat, lon, weight))
    return towns


class _Lexicon:
    """One culture's names, places and languages, with name frequencies."""

    def __init__(
        self,
        culture: str,
        male: list[_Name],
        female: list[_Name],
        surnames: list[_Name],
        towns: list[_Town],
        generic_nicks: tuple[tuple[str, str], ...] = (),
    ) -> None:
        zipf = ZIPF_UKRAINE if culture == "ukraine" else ZIPF
        self.culture = culture
        self.names: list[_Name] = [*male, *female, *surnames]
        self.male = np.arange(len(male), dtype=np.int64)
        self.female = np.arange(len(male), len(male) + len(female), dtype=np.int64)
        self.surname = np.arange(len(male) + len(female), len(self.names), dtype=np.int64)
        self.male_p = _zipf(len(male), *zipf["male"])
        self.female_p = _zipf(len(female), *zipf["female"])
        self.surname_p = _zipf(len(surnames), *zipf["surname"]) if surnames else np.ones(0)
        self.generic_nicks = generic_nicks
        self.towns = towns
        self.town_lat = np.array([t.lat for t in towns])
        self.town_lon = np.array([t.lon for t in towns])
        town_w = np.array([t.weight for t in towns])
        self.town_p: FloatArray = town_w / town_w.sum()
        sites = np.array(_CURRENT_SITES[culture], dtype=np.float64)
        self.site_lat: FloatArray = sites[:, 0]
        self.site_lon: FloatArray = sites[:, 1]
        self.site_p: FloatArray = sites[:, 2] / sites[:, 2].sum()
        self.languages = tuple(name for name, _ in _LANGUAGES[culture])
        lang_w = np.array([w for _, w in _LANGUAGES[culture]])
        self.language_p: FloatArray = lang_w / lang_w.sum()


def _build_lexicons() -> tuple[_Lexicon, ...]:
    sudan = _Lexicon(
        "sudan",
        [*_parse_names(_SUDAN_MALE), *_sudan_abd_tail()],
        _parse_names(_SUDAN_FEMALE),
        [],
        _parse_towns(_SUDAN_TOWNS),
    )
    k_female = _parse_names(_KHMER_FEMALE)
    k_male = _parse_names(_KHMER_MALE)
    tail_female, tail_male = _khmer_tail([*k_female, *k_male])
    khmer = _Lexicon(
        "khmer",
        [*k_male, *tail_male],
        [*k_female, *tail_female],
        _parse_names(_KHMER_SURNAMES),
        _parse_towns(_KHMER_TOWNS),
        _KHMER_GENERIC_NICKNAMES,
    )
    u_surnames = _parse_names(_UKRAINE_SURNAMES)
    ukraine = _Lexicon(
        "ukraine",
        _parse_names(_UKRAINE_MALE, patronymics=True),
        _parse_names(_UKRAINE_FEMALE),
        [*u_surnames, *_ukraine_surname_tail(u_surnames)],
        _parse_towns(_UKRAINE_TOWNS),
    )
    return sudan, khmer, ukraine


_LEXICONS = _build_lexicons()
SUDAN, KHMER, UKRAINE = 0, 1, 2

# ------------------------------------------------------------------------------ writing

_KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _keyboard_neighbours() -> dict[str, str]:
    where = {c: (r, i) for r, row in enumerate(_KEYBOARD) for i, c in enumerate(row)}
    out = {}
    for c, (r, i) in where.items():
        near = []
        for dr in (-1, 0, 1):
            rr = r + dr
            if 0 <= rr < len(_KEYBOARD):
                for di in (-1, 0, 1):
                    ii = i + di
                    if (dr or di) and 0 <= ii < len(_KEYBOARD[rr]):
                        near.append(_KEYBOARD[rr][ii])
        out[c] = "".join(near)
    return out


_NEIGHBOURS = _keyboard_neighbours()


def _typo(text: str, rnd: random.Random) -> str:
    """One typo: a dropped, doubled, swapped or neighbouring-key letter."""
    letters = [i for i, c in enumerate(text) if c.isascii() and c.isalpha()]
    if len(letters) < 3:
        return text
    i = rnd.choice(letters[1:]) if rnd.random() < 0.9 else letters[0]
    kind = rnd.randrange(4)
    if kind == 0:
        return text[:i] + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2 and i + 1 < len(text) and text[i + 1].isalpha():
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    lower = text[i].lower()
    near = _NEIGHBOURS.get(lower, "")
    if not near:
        return text[:i] + text[i + 1 :]
    new = rnd.choice(near)
    if text[i].isupper():
        new = new.upper()
    return text[:i] + new + text[i + 1 :]


def _compound(text: str, split: bool, rnd: random.Random) -> str:
    parts = text.split("+")
    if split:
        return ("-" if rnd.random() < 0.15 else " ").join(parts)
    return parts[0] + "".join(p[:1].lower() + p[1:] for p in parts[1:])


class _Pen:
    """The writer of the record being written: spells names the way that writer does."""

    __slots__ = ("off", "rnd", "russian", "script", "split", "style", "typo")

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.style = 0
        self.script = False
        self.russian = False
        self.split = 0.0
        self.typo = 0.0
        self.off = NOISE_RATES["spelling_off_style"]

    def setup(self, style: int, script: bool, russian: bool, split: float, typo: float) -> None:
        self.style, self.script, self.russian = style, script, russian
        self.split, self.typo = split, typo

    def name(self, name: _Name, female: bool = False) -> str:
        if self.script:
            native = name.fem_script if female else name.script
            return native[1] if self.russian else native[0]
        rnd = self.rnd
        if rnd.random() < self.off:
            text = rnd.choice(name.fem_variants if female else name.variants)
        else:
            text = (name.fem_styles if female else name.styles)[self.style]
        if "+" in text:
            text = _compound(text, rnd.random() < self.split, rnd)
        if rnd.random() < self.typo:
            text = _typo(text, rnd)
        return text

    def patronymic(self, name: _Name, female: bool) -> str:
        forms = name.patr_f if female else name.patr_m
        if self.script:
            return forms[5] if self.russian else forms[4]
        text = forms[self.style]
        if self.rnd.random() < self.typo:
            text = _typo(text, self.rnd)
        return text

    def nick(self, nick: tuple[str, str]) -> str:
        if self.script:
            return nick[1]
        text = nick[0]
        if self.rnd.random() < self.typo:
            text = _typo(text, self.rnd)
        return text


@dataclass(slots=True)
class _Writers:
    """A pool of field or help-desk workers per culture, each with habits."""

    style: list[int]
    case: list[int]  # 0 as written, 1 UPPER, 2 lower
    split: list[float]
    typo: list[float]
    order: list[bool]  # Ukraine: surname first; Khmer: given name first
    sex_format: list[tuple[str, str, str]]
    decimals: list[int]
    first: list[int]  # index of each culture's first writer
    size: int  # writers per culture

    @classmethod
    def draw(cls, rng: np.random.Generator, per_culture: int) -> _Writers:
        n = per_culture
        style: list[int] = []
        order: list[bool] = []
        for culture in CULTURES:
            shares = np.array([share for _, share in WRITER_STYLES[culture]])
            style += rng.choice(len(shares), n, p=shares / shares.sum()).tolist()
            key = {
                "ukraine": "writer_surname_first_ukraine",
                "khmer": "writer_given_first_khmer",
            }.get(culture)
            rate = NOISE_RATES[key] if key else 0.0
            order += (rng.random(n) < rate).tolist()
        total = n * len(CULTURES)
        u = rng.random(total)
        upper, lower = NOISE_RATES["writer_upper_case"], NOISE_RATES["writer_lower_case"]
        case = np.where(u < upper, 1, np.where(u < upper + lower, 2, 0)).tolist()
        broken = NOISE_RATES["compound_habit_broken"]
        splits = rng.random(total) < NOISE_RATES["writer_splits_compounds"]
        split = np.where(splits, 1.0 - broken, broken).tolist()
        typo_rate = NOISE_RATES["typo_per_word"]
        typo = (typo_rate * np.exp(rng.uniform(math.log(1 / 3), math.log(3), total))).tolist()
        short = rng.random(total) < NOISE_RATES["writer_sex_short"]
        capital = rng.random(total) < 0.5
        formats = []
        for s, c in zip(short.tolist(), capital.tolist(), strict=True):
            if s:
                formats.append(("M", "F", "") if c else ("m", "f", ""))
            else:
                formats.append(
                    ("Male", "Female", "Unknown") if c else ("male", "female", "unknown")
                )
        coarse = rng.random(total) < NOISE_RATES["writer_coords_coarse"]
        decimals = np.where(coarse, rng.integers(2, 4, total), rng.integers(4, 7, total))
        return cls(
            style,
            case,
            split,
            typo,
            order,
            formats,
            decimals.tolist(),
            [i * n for i in range(len(CULTURES))],
            n,
        )


def _cased(text: str, case: int) -> str:
    if case == 1:
        return text.upper()
    if case == 2:
        return text.lower()
    return text


def _format_coord(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


# ------------------------------------------------------------------------------ scenario


@dataclass
class Scenario:
    """Registered children, sought children, and who is who."""

    children: pd.DataFrame  # DESIGN §3 children.csv columns, strings ("" for unknown)
    requests: pd.DataFrame  # DESIGN §3 requests.csv columns, strings
    truth_children: pd.DataFrame  # ref, person_id, family_id
    truth_requests: pd.DataFrame  # ref, person_id, family_id


_EPOCH = dt.date(1970, 1, 1)
_YEAR = 365.25


def _day(value: dt.date) -> int:
    return (value - _EPOCH).days


def _iso(days: IntArray) -> list[str]:
    text: list[str] = np.datetime_as_string(days.astype("datetime64[D]")).tolist()
    return text


def _offset(
    rng: np.random.Generator, lat: FloatArray, lon: FloatArray, median_km: float, sigma: float
) -> tuple[FloatArray, FloatArray]:
    """Points moved a log-normal distance (at most 5 medians) in a random direction."""
    n = len(lat)
    dist = np.minimum(median_km * np.exp(rng.normal(0.0, sigma, n)), 5 * median_km)
    theta = rng.uniform(0.0, 2 * math.pi, n)
    new_lat = np.clip(lat + dist * np.cos(theta) / 111.32, -89.9, 89.9)
    new_lon = lon + dist * np.sin(theta) / (111.32 * np.cos(np.radians(lat)))
    return new_lat, (new_lon + 180.0) % 360.0 - 180.0


def _nearest_town(lex: _Lexicon, lat: FloatArray, lon: FloatArray) -> IntArray:
    scale = np.cos(np.radians(lat))[:, None]
    d2 = (lat[:, None] - lex.town_lat) ** 2 + ((lon[:, None] - lex.town_lon) * scale) ** 2
    nearest: IntArray = np.argmin(d2, axis=1).astype(np.int64)
    return nearest


def _cumulative(*weights: float) -> list[float]:
    total = sum(weights)
    return list(accumulate(w / total for w in weights))


def _pick(cumulative: list[float], u: float) -> int:
    return min(bisect.bisect_right(cumulative, u), len(cumulative) - 1)


_RELATIONS = tuple(name for name, _ in INQUIRER_RELATIONSHIPS)
_RELATION_P = np.array([share for _, share in INQUIRER_RELATIONSHIPS]) / sum(
    share for _, share in INQUIRER_RELATIONSHIPS
)
_FEMALE_RELATIONS = {"mother", "grandmother", "aunt"}
_MALE_RELATIONS = {"father", "grandfather", "uncle"}
_MOTHER, _FATHER = _RELATIONS.index("mother"), _RELATIONS.index("father")


class _Builder:
    """Builds the population, then writes each record as its writer would."""

    def __init__(
        self,
        culture: str,
        n_children: int,
        n_sought: int,
        seed: int,
        registered_share: float,
        today: dt.date,
    ) -> None:
        # Each culture (and "mixed") draws its own stream from the seed.
        stream = (*CULTURES, "mixed").index(culture)
        self.rng = np.random.default_rng([seed, stream])
        self.rnd = random.Random(f"{seed}/{culture}")
        self.pen = _Pen(self.rnd)
        self.cultures = (
            list(range(len(CULTURES))) if culture == "mixed" else [CULTURES.index(culture)]
        )
        self.n_children = n_children
        self.n_sought = n_sought
        self.share = registered_share
        self.today = _day(today)
        self.sudan_layout = _cumulative(
            NOISE_RATES["sudan_family_father_grandfather"],
            NOISE_RATES["sudan_family_father"],
            NOISE_RATES["sudan_family_grandfather"],
            NOISE_RATES["sudan_given_with_father"],
            NOISE_RATES["sudan_father_in_other_names"],
        )

    # -- population ---------------------------------------------------------------------

    def _sizes(self, rows: int, dup_rate: float) -> tuple[IntArray, BoolArray]:
        values = np.array([size for size, _ in FAMILY_SIZES], dtype=np.int64)
        p = np.array([share for _, share in FAMILY_SIZES])
        p = p / p.sum()
        mean = float(values @ p) * (1 + dup_rate)
        sizes: list[IntArray] = []
        dups: list[BoolArray] = []
        total = 0
        while total < rows:
            m = max(8, int((rows - total) / mean * 1.1) + 1)
            s = self.rng.choice(values, m, p=p)
            d = self.rng.random(m) < dup_rate
            cum = np.cumsum(s * (1 + d))
            keep = int(np.searchsorted(cum, rows - total)) + 1
            sizes.append(s[:keep])
            dups.append(d[:keep])
            total += int(cum[min(keep, m) - 1])
        if not sizes:
            return np.zeros(0, np.int64), np.zeros(0, np.bool_)
        return np.concatenate(sizes), np.concatenate(dups)

    def population(self) -> None:
        rng = self.rng
        n_sought = self.n_sought
        sizes, dup = self._sizes(n_sought, NOISE_RATES["second_inquiry"])
        per = 1 + dup.astype(np.int64)
        inq_family = np.repeat(np.arange(len(sizes)), per)
        inq_rank = np.arange(len(inq_family)) - np.repeat(np.cumsum(per) - per, per)
        inq_n = sizes[inq_family]
        row_inq = np.repeat(np.arange(len(inq_family)), inq_n)[:n_sought]
        row_child = (np.arange(int(inq_n.sum())) - np.repeat(np.cumsum(inq_n) - inq_n, inq_n))[
            :n_sought
        ]
        n_inq = int(row_inq[-1]) + 1 if n_sought else 0
        inq_family, inq_rank = inq_family[:n_inq], inq_rank[:n_inq]
        n_fs = int(inq_family[-1]) + 1 if n_inq else 0
        size_s = np.zeros(n_fs, np.int64)
        np.maximum.at(size_s, inq_family[row_inq], row_child + 1)
        start_s = np.cumsum(size_s) - size_s
        n_ps = int(size_s.sum())
        pf = np.repeat(np.arange(n_fs), size_s)
        apart = rng.random(n_fs) < NOISE_RATES["siblings_registered_apart"]
        u_person, u_family = rng.random(n_ps), rng.random(n_fs)
        registered_s = np.where(apart[pf], u_person, u_family[pf]) < self.share
        if registered_s.sum() > self.n_children:
            keep = rng.choice(np.flatnonzero(registered_s), self.n_children, replace=False)
            registered_s[:] = False
            registered_s[keep] = True
        unsought = self.n_children - int(registered_s.sum())
        size_u, _ = self._sizes(unsought, 0.0)
        if len(size_u):
            size_u[-1] -= int(size_u.sum()) - unsought

        self.fam_size = np.concatenate([size_s, size_u])
        n_fam = len(self.fam_size)
        self.p_family = np.repeat(np.arange(n_fam), self.fam_size)
        n_persons = len(self.p_family)
        self.fam_start = np.cumsum(self.fam_size) - self.fam_size
        self.p_child = np.arange(n_persons) - self.fam_start[self.p_family]
        self.p_registered = np.concatenate([registered_s, np.ones(unsought, np.bool_)])
        self.inq_family = inq_family
        self.inq_rank = inq_rank
        self.row_inq = row_inq
        self.row_person = start_s[inq_family[row_inq]] + row_child
        self.f_culture = np.asarray(rng.choice(self.cultures, n_fam), dtype=np.int64)

    def families(self) -> None:
        rng = self.rng
        n = len(self.fam_size)
        fields = ("fg", "gf", "ggf", "gggf", "mg", "mf", "mgf", "sur", "msur", "lang", "event")
        f = {k: np.full(n, -1, np.int64) for k in fields}
        self.f_mode = np.zeros(n, np.bool_)
        self.f_lat = np.zeros(n)
        self.f_lon = np.zeros(n)
        for ci in self.cultures:
            idx = np.flatnonzero(self.f_culture == ci)
            k = len(idx)
            if not k:
                continue
            lex = _LEXICONS[ci]
            for key in ("fg", "gf", "ggf", "gggf", "mf", "mgf"):
                f[key][idx] = rng.choice(lex.male, k, p=lex.male_p)
            f["mg"][idx] = rng.choice(lex.female, k, p=lex.female_p)
            if len(lex.surname):
                f["sur"][idx] = rng.choice(lex.surname, k, p=lex.surname_p)
                f["msur"][idx] = rng.choice(lex.surname, k, p=lex.surname_p)
            if ci == UKRAINE:
                other = rng.random(k) < NOISE_RATES["mother_other_surname"]
                f["msur"][idx] = np.where(other, f["msur"][idx], f["sur"][idx])
            if ci == KHMER:
                self.f_mode[idx] = rng.random(k) < NOISE_RATES["khmer_surname_from_father_given"]
            f["lang"][idx] = rng.choice(len(lex.languages), k, p=lex.language_p)
            first, last = WINDOWS[CULTURES[ci]]
            end = min(_day(last), self.today - 14)
            start = min(_day(first), end - 30)
            f["event"][idx] = rng.integers(start, end + 1, k)
            town = rng.choice(len(lex.towns), k, p=lex.town_p)
            self.f_lat[idx], self.f_lon[idx] = _offset(
                rng, lex.town_lat[town], lex.town_lon[town], 4.0, 0.8
            )
        self.f = f

    def persons(self) -> None:
        rng, rnd = self.rng, self.rnd
        n_fam, n = len(self.fam_size), len(self.p_family)
        pf = self.p_family
        self.p_female = rng.random(n) < 0.5
        age_p = np.array(AGE_WEIGHTS) / sum(AGE_WEIGHTS)
        eldest = rng.choice(len(AGE_WEIGHTS), n_fam, p=age_p)
        gaps = rng.integers(1, 5, n)
        gaps[self.p_child == 0] = 0
        cum = np.cumsum(gaps)
        within = cum - cum[self.fam_start][pf]
        need = within[self.fam_start + self.fam_size - 1] if n else np.zeros(0, np.int64)
        eldest = np.minimum(np.maximum(eldest, need), 17)
        self.p_age_sep = np.clip(eldest[pf] - within, 0, 17)
        given = np.zeros(n, np.int64)
        culture = self.f_culture[pf]
        todo = np.ones(n, np.bool_)
        for _ in range(30):
            for ci in self.cultures:
                lex = _LEXICONS[ci]
                for female, ids, p in (
                    (False, lex.male, lex.male_p),
                    (True, lex.female, lex.female_p),
                ):
                    idx = np.flatnonzero(todo & (culture == ci) & (self.p_female == female))
                    given[idx] = rng.choice(ids, len(idx), p=p)
            key = pf * 1_000_000 + given
            _, first = np.unique(key, return_index=True)
            todo = np.ones(n, np.bool_)
            todo[first] = False
            if not todo.any():
                break
        self.p_given = given
        nicks: list[tuple[str, str] | None] = []
        for ci_value, g in zip(culture.tolist(), given.tolist(), strict=True):
            lex = _LEXICONS[ci_value]
            own = lex.names[g].nicks
            if own and (not lex.generic_nicks or rnd.random() < 0.6):
                nicks.append(own[0] if len(own) == 1 or rnd.random() < 0.6 else rnd.choice(own))
            elif lex.generic_nicks:
                nicks.append(rnd.choice(lex.generic_nicks))
            else:
                nicks.append(None)
        self.p_nick = nicks
        event = self.f["event"][pf]
        self.p_dob = event - np.floor((self.p_age_sep + rng.random(n)) * _YEAR).astype(np.int64)

    # -- records ------------------------------------------------------------------------

    def _age_strings(self, age: IntArray) -> list[str]:
        missing = self.rng.random(len(age)) < NOISE_RATES["age_missing"]
        return ["" if m else str(a) for a, m in zip(age.tolist(), missing.tolist(), strict=True)]

    def _dob_strings(
        self, persons: IntArray, record_day: IntArray, side: str, blank: BoolArray
    ) -> tuple[list[str], BoolArray]:
        """Dates of birth as recorded ("" when unknown), and which are known."""
        rng = self.rng
        n = len(persons)
        culture = self.f_culture[self.p_family[persons]]
        known_rate = np.array([NOISE_RATES[f"dob_known_{side}_{c}"] for c in CULTURES])[culture]
        known = (rng.random(n) < known_rate) & ~blank
        dob = self.p_dob[persons].copy()
        wrong = rng.random(n) < NOISE_RATES["dob_wrong"]
        year_off = rng.random(n) < 0.5
        shift = np.where(
            year_off, rng.choice([-365, 365], n), rng.integers(1, 45, n) * rng.choice([-1, 1], n)
        )
        dob = np.where(wrong, dob + shift, dob)
        dob = np.minimum(dob, record_day)
        partial = rng.random(n) < NOISE_RATES["dob_partial"]
        year_only = rng.random(n) < NOISE_RATES["dob_year_only"]
        width = np.where(partial, np.where(year_only, 4, 7), 10).tolist()
        texts = [
            text[:w] if k else ""
            for text, w, k in zip(_iso(dob), width, known.tolist(), strict=True)
        ]
        return texts, known

    def _sep_date_strings(
        self, families: IntArray, record_day: IntArray, side: str, missing: BoolArray
    ) -> list[str]:
        rng = self.rng
        n = len(families)
        event = self.f["event"][families]
        if side == "request":
            exact = rng.random(n) < NOISE_RATES["sep_date_exact_request"]
            off = rng.integers(1, 6, n) * rng.choice([-1, 1], n)
        else:
            exact = rng.random(n) < NOISE_RATES["sep_date_exact_child"]
            off = np.clip(np.rint(rng.normal(0.0, 6.0, n)), -15, 15).astype(np.int64)
        day = np.minimum(np.where(exact, event, event + off), record_day)
        month = rng.random(n) < NOISE_RATES["sep_date_month_only"]
        width = np.where(month, 7, 10).tolist()
        return [
            "" if m else text[:w]
            for text, w, m in zip(_iso(day), width, missing.tolist(), strict=True)
        ]

    def _points(
        self, families: IntArray, median_km: float
    ) -> tuple[FloatArray, FloatArray, IntArray]:
        """Recorded separation points and the nearest town (index into the culture's list)."""
        lat, lon = _offset(self.rng, self.f_lat[families], self.f_lon[families], median_km, 0.7)
        town = np.zeros(len(families), np.int64)
        culture = self.f_culture[families]
        for ci in self.cultures:
            idx = np.flatnonzero(culture == ci)
            if len(idx):
                town[idx] = _nearest_town(_LEXICONS[ci], lat[idx], lon[idx])
        return lat, lon, town

    def _by_band(self, age: IntArray, under6: str, mid: str, older: str) -> FloatArray:
        rates = np.where(
            age < 6,
            NOISE_RATES[under6],
            np.where(age < 12, NOISE_RATES[mid], NOISE_RATES[older]),
        )
        result: FloatArray = rates.astype(np.float64)
        return result

    def _languages(self, families: IntArray, child: bool) -> list[str]:
        rng = self.rng
        n = len(families)
        missing = (rng.random(n) < NOISE_RATES["language_missing"]).tolist()
        franca = (
            rng.random(n) < NOISE_RATES["language_lingua_franca_child"]
            if child
            else np.zeros(n, np.bool_)
        ).tolist()
        out = []
        for fam, m, fr in zip(families.tolist(), missing, franca, strict=True):
            ci = int(self.f_culture[fam])
            language = _LEXICONS[ci].languages[int(self.f["lang"][fam])]
            if fr:
                if ci == UKRAINE:
                    language = "Russian" if language == "Ukrainian" else "Ukrainian"
                else:
                    language = _LINGUA_FRANCA[CULTURES[ci]]
            out.append("" if m else language)
        return out

    def _sex_strings(
        self, persons: IntArray, pool: _Writers, writers: list[int], wrong_rate: float
    ) -> list[str]:
        rng = self.rng
        n = len(persons)
        female = self.p_female[persons] ^ (rng.random(n) < wrong_rate)
        missing = rng.random(n) < NOISE_RATES["sex_missing"]
        out = []
        for fem, miss, w in zip(female.tolist(), missing.tolist(), writers, strict=True):
            fmt = pool.sex_format[w]
            out.append(fmt[2] if miss else fmt[1] if fem else fmt[0])
        return out

    def _place(self, town: _Town, qualify: bool) -> str:
        text = self.pen.name(town.name)
        if qualify and not self.pen.script:
            text = self.rnd.choice(_QUALIFIERS).format(text)
        return text

    # -- names --------------------------------------------------------------------------

    def _child_names(
        self,
        p: int,
        *,
        child_side: bool,
        small: bool,
        minimal: bool,
        nick_only: bool,
        order: bool,
    ) -> tuple[str, str, list[str]]:
        """given_name, family_name and other_names of person p as this record gives them."""
        pen, rnd = self.pen, self.rnd
        f = int(self.p_family[p])
        ci = int(self.f_culture[f])
        names = _LEXICONS[ci].names
        female = bool(self.p_female[p])
        nick = self.p_nick[p]
        own = names[int(self.p_given[p])]
        if minimal:
            if nick is not None and rnd.random() < 0.5:
                return pen.nick(nick), "", []
            return pen.name(own), "", []
        word = pen.nick(nick) if nick_only and nick is not None else pen.name(own)
        given = word
        family = ""
        others: list[str] = []
        if child_side:
            rate = NOISE_RATES["family_missing_child_under6" if small else "family_missing_child"]
        else:
            rate = NOISE_RATES["family_missing_request"]
        family_known = rnd.random() >= rate
        full = rnd.random() < NOISE_RATES["full_name_in_given"]
        fam = self.f
        if ci == SUDAN:
            if family_known:
                father = pen.name(names[int(fam["fg"][f])])
                grand = pen.name(names[int(fam["gf"][f])])
                if full:
                    given = f"{word} {father} {grand}"
                else:
                    layout = _pick(self.sudan_layout, rnd.random())
                    if layout == 0:
                        family = f"{father} {grand}"
                    elif layout == 1:
                        family = father
                    elif layout == 2:
                        family = grand
                    elif layout == 3:
                        given, family = f"{word} {father}", grand
                    else:
                        others.append(father)
        elif ci == KHMER:
            if family_known:
                surname_id = int(fam["fg"][f] if self.f_mode[f] else fam["sur"][f])
                surname = pen.name(names[surname_id])
                if full:
                    given = f"{word} {surname}" if order else f"{surname} {word}"
                elif rnd.random() < NOISE_RATES["khmer_order_swapped"]:
                    given, family = surname, word
                else:
                    family = surname
        elif family_known:
            surname = pen.name(names[int(fam["sur"][f])], female)
            patronymic = pen.patronymic(names[int(fam["fg"][f])], female)
            if full:
                given = (
                    f"{surname} {word} {patronymic}" if order else f"{word} {patronymic} {surname}"
                )
            else:
                if rnd.random() < NOISE_RATES["ukraine_order_swapped"]:
                    given, family = surname, word
                else:
                    family = surname
                u = rnd.random()
                if u < NOISE_RATES["patronymic_in_given"]:
                    given = f"{given} {patronymic}"
                elif (
                    u
                    < NOISE_RATES["patronymic_in_given"] + NOISE_RATES["patronymic_in_other_names"]
                ):
                    others.append(patronymic)
        if (
            given == word
            and family
            and " " in word
            and rnd.random() < NOISE_RATES["compound_split_across_fields"]
        ):
            head, rest = word.split(" ", 1)
            given, family = head, f"{rest} {family}"
        nick_rate = NOISE_RATES[
            "nickname_in_other_names_child" if child_side else "nickname_in_other_names_request"
        ]
        if nick is not None and not nick_only and rnd.random() < nick_rate:
            others.append(pen.nick(nick))
        return given, family, others

    def _parent(self, f: int, mother: bool, level: int, order: bool) -> str:
        """A parent's name; level 1 given name only, 2 usual, 3 full."""
        pen = self.pen
        fam = self.f
        ci = int(self.f_culture[f])
        names = _LEXICONS[ci].names
        given_id = int(fam["mg" if mother else "fg"][f])
        given = pen.name(names[given_id])
        if level == 1:
            return given
        if ci == SUDAN:
            line = ("mf", "mgf") if mother else ("gf", "ggf")
            parts = [given] + [pen.name(names[int(fam[k][f])]) for k in line[: level - 1]]
            return " ".join(parts)
        if ci == KHMER:
            surname = pen.name(names[int(fam["msur" if mother else "sur"][f])])
            return f"{given} {surname}" if order else f"{surname} {given}"
        surname = pen.name(names[int(fam["msur" if mother else "sur"][f])], mother)
        if level == 2:
            return f"{surname} {given}" if order else f"{given} {surname}"
        patronymic = pen.patronymic(names[int(fam["mf" if mother else "gf"][f])], mother)
        return f"{surname} {given} {patronymic}" if order else f"{given} {patronymic} {surname}"

    def _relative(self, q: int, order: bool) -> str:
        """The name of an inquirer who is not a parent."""
        pen = self.pen
        fam = self.f
        f = int(self.inq_family[q])
        ci = int(self.f_culture[f])
        names = _LEXICONS[ci].names
        relation = _RELATIONS[int(self.q_relation[q])]
        female = bool(self.q_female[q])
        paternal = bool(self.q_paternal[q])
        own = int(self.q_given[q])
        second, third = int(self.q_second[q]), int(self.q_third[q])

        def g(key: str) -> int:
            return int(fam[key][f])

        if ci == SUDAN:
            if relation == "grandfather":
                ids = [g("gf"), g("ggf"), g("gggf")] if paternal else [g("mf"), g("mgf"), third]
            elif relation in ("aunt", "uncle"):
                ids = [own, g("gf"), g("ggf")] if paternal else [own, g("mf"), g("mgf")]
            elif relation == "sibling":
                ids = [own, g("fg"), g("gf")]
            else:
                ids = [own, second, third]
            return " ".join(pen.name(names[i]) for i in ids)
        if ci == KHMER:
            if relation == "sibling":
                surname_id = g("fg") if self.f_mode[f] else g("sur")
            elif relation in ("cousin", "other relative"):
                surname_id = int(self.q_surname[q])
            else:
                surname_id = g("sur") if paternal else g("msur")
            given_id = g("gf") if relation == "grandfather" and paternal else own
            given, surname = pen.name(names[given_id]), pen.name(names[surname_id])
            return f"{given} {surname}" if order else f"{surname} {given}"
        if relation == "grandfather":
            given_id, father_id = (g("gf"), g("ggf")) if paternal else (g("mf"), g("mgf"))
            surname_id = g("sur") if paternal else int(self.q_surname[q])
        elif relation in ("aunt", "uncle"):
            given_id, father_id = own, (g("gf") if paternal else g("mf"))
            surname_id = g("sur") if paternal and not female else int(self.q_surname[q])
        elif relation == "sibling":
            given_id, father_id, surname_id = own, g("fg"), g("sur")
        else:
            given_id, father_id = own, second
            surname_id = (
                g("sur") if relation == "grandmother" and paternal else int(self.q_surname[q])
            )
        given = pen.name(names[given_id])
        surname = pen.name(names[surname_id], female)
        if self.rnd.random() < 0.5:
            return f"{surname} {given}" if order else f"{given} {surname}"
        patronymic = pen.patronymic(names[father_id], female)
        return f"{surname} {given} {patronymic}" if order else f"{given} {patronymic} {surname}"

    # -- the two files ------------------------------------------------------------------

    def children(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        rng, rnd, pen = self.rng, self.rnd, self.pen
        persons = rng.permutation(np.flatnonzero(self.p_registered))
        n = len(persons)
        families = self.p_family[persons]
        culture = self.f_culture[families]
        event = self.f["event"][families]
        delay = np.floor(rng.exponential(REGISTRATION_DELAY_DAYS, len(self.fam_size)))
        day = np.minimum(
            event + delay.astype(np.int64)[families] + rng.integers(0, 4, n), self.today
        )
        true_age = np.floor((day - self.p_dob[persons]) / _YEAR).astype(np.int64)
        small = true_age < 6
        band = np.where(small, 0, np.where(true_age < 12, 1, 2))
        age = true_age.copy()
        for b, key in enumerate(CHILD_AGE_ERRORS):
            idx = np.flatnonzero(band == b)
            offsets = np.array([o for o, _ in CHILD_AGE_ERRORS[key]])
            weights = np.array([w for _, w in CHILD_AGE_ERRORS[key]])
            age[idx] += rng.choice(offsets, len(idx), p=weights / weights.sum())
        # A field team registers a separated child as a child: estimates stop at 17.
        age = np.clip(age, 0, np.maximum(true_age, 17))
        minimal = small & (rng.random(n) < NOISE_RATES["minimal_record_child_under6"])
        day = np.asarray(day, dtype=np.int64)
        dobs, dob_known = self._dob_strings(persons, day, "child", minimal)
        # Where a date of birth is known, the worker works the age out from it.
        age = np.where(dob_known, true_age, age)
        nick_only = small & (rng.random(n) < NOISE_RATES["nickname_only_child_under6"])
        ws = self.field_workers
        writers = (np.array(ws.first)[culture] + rng.integers(0, ws.size, n)).tolist()
        script = rng.random(n) < NOISE_RATES["original_script"]
        script &= ~self.script_sought[persons]
        russian = (culture == UKRAINE) & (self.f["lang"][families] == 1)

        mother_missing = rng.random(n) < self._by_band(
            true_age,
            "parent_missing_child_under6",
            "parent_missing_child_6_11",
            "parent_missing_child_12_up",
        )
        father_missing = rng.random(n) < self._by_band(
            true_age,
            "parent_missing_child_under6",
            "parent_missing_child_6_11",
            "parent_missing_child_12_up",
        )
        point_missing = minimal | (
            rng.random(n)
            < np.where(
                small, NOISE_RATES["point_missing_child_under6"], NOISE_RATES["point_missing_child"]
            )
        )
        place_missing = minimal | (
            rng.random(n)
            < np.where(
                small, NOISE_RATES["place_missing_child_under6"], NOISE_RATES["place_missing_child"]
            )
        )
        date_missing = minimal | (
            rng.random(n)
            < np.where(
                small,
                NOISE_RATES["sep_date_missing_child_under6"],
                NOISE_RATES["sep_date_missing_child"],
            )
        )
        qualified = rng.random(n) < NOISE_RATES["place_qualified"]
        lat, lon, town = self._points(families, CHILD_POINT_KM)
        site_lat = np.zeros(n)
        site_lon = np.zeros(n)
        for ci in self.cultures:
            idx = np.flatnonzero(culture == ci)
            lex = _LEXICONS[ci]
            site = rng.choice(len(lex.site_p), len(idx), p=lex.site_p)
            site_lat[idx], site_lon[idx] = _offset(
                rng, lex.site_lat[site], lex.site_lon[site], 3.0, 0.7
            )
        current_missing = rng.random(n) < NOISE_RATES["current_point_missing"]
        ages = self._age_strings(age)
        sep_dates = self._sep_date_strings(families, day, "child", date_missing)
        sexes = self._sex_strings(persons, ws, writers, NOISE_RATES["sex_wrong_child"])
        languages = self._languages(families, child=True)
        days = _iso(day)
        lg_only = NOISE_RATES["parent_given_only_child"]
        levels = _cumulative(lg_only, 1 - lg_only - NOISE_RATES["parent_full_child"], 1.0)
        levels[-1] = 1.0

        cols: dict[str, list[str]] = {c: [] for c in CHILD_COLUMNS}
        counters = dict.fromkeys(CULTURES, 0)
        truth_person: list[str] = []
        truth_family: list[str] = []
        rows = zip(
            persons.tolist(),
            families.tolist(),
            culture.tolist(),
            writers,
            script.tolist(),
            russian.tolist(),
            small.tolist(),
            minimal.tolist(),
            nick_only.tolist(),
            strict=True,
        )
        mother_missing_list = mother_missing.tolist()
        father_missing_list = father_missing.tolist()
        place_missing_list = place_missing.tolist()
        point_missing_list = point_missing.tolist()
        current_missing_list = current_missing.tolist()
        qualified_list = qualified.tolist()
        towns = town.tolist()
        lats, lons = lat.tolist(), lon.tolist()
        site_lats, site_lons = site_lat.tolist(), site_lon.tolist()
        for i, (p, f, ci, w, scr, rus, sm, mini, nick_only_i) in enumerate(rows):
            order = ws.order[w]
            pen.setup(ws.style[w], scr, rus, ws.split[w], ws.typo[w])
            case = ws.case[w]
            given, family, others = self._child_names(
                p, child_side=True, small=sm, minimal=mini, nick_only=nick_only_i, order=order
            )
            mother = father = ""
            if not mini:
                if not mother_missing_list[i]:
                    mother = self._parent(f, True, _pick(levels, rnd.random()) + 1, order)
                if not father_missing_list[i]:
                    father = self._parent(f, False, _pick(levels, rnd.random()) + 1, order)
            place = ""
            if not place_missing_list[i]:
                place = self._place(_LEXICONS[ci].towns[towns[i]], qualified_list[i])
            culture_name = CULTURES[ci]
            counters[culture_name] += 1
            decimals = ws.decimals[w]
            cols["ref"].append(f"CH-{CULTURE_CODES[culture_name]}-{counters[culture_name]:06d}")
            cols["given_name"].append(_cased(given, case))
            cols["family_name"].append(_cased(family, case))
            cols["other_names"].append(_cased(";".join(others), case))
            cols["sex"].append(sexes[i])
            cols["age"].append(ages[i])
            cols["date_of_birth"].append(dobs[i])
            cols["separation_date"].append(sep_dates[i])
            cols["separation_place"].append(_cased(place, case))
            missing_point = point_missing_list[i]
            cols["separation_lat"].append("" if missing_point else _format_coord(lats[i], decimals))
            cols["separation_lon"].append("" if missing_point else _format_coord(lons[i], decimals))
            missing_site = current_missing_list[i]
            cols["current_lat"].append("" if missing_site else _format_coord(site_lats[i], 5))
            cols["current_lon"].append("" if missing_site else _format_coord(site_lons[i], 5))
            cols["mother_name"].append(_cased(mother, case))
            cols["father_name"].append(_cased(father, case))
            cols["language"].append(languages[i])
            cols["registration_date"].append(days[i])
            truth_person.append(f"P{p:07d}")
            truth_family.append(f"F{f:06d}")
        children = pd.DataFrame(cols, columns=list(CHILD_COLUMNS), dtype=object)
        truth = pd.DataFrame(
            {"ref": cols["ref"], "person_id": truth_person, "family_id": truth_family},
            columns=list(TRUTH_COLUMNS),
            dtype=object,
        )
        return children, truth

    def inquiries(self) -> None:
        """Who files each inquiry, and when; which records are in original script."""
        rng = self.rng
        n = len(self.inq_family)
        families = self.inq_family
        relation = rng.choice(len(_RELATIONS), n, p=_RELATION_P)
        second = np.flatnonzero(self.inq_rank == 1)
        for _ in range(20):
            same = second[relation[second] == relation[second - 1]]
            if not len(same):
                break
            relation[same] = rng.choice(len(_RELATIONS), len(same), p=_RELATION_P)
        names = np.array(_RELATIONS)[relation]
        female = np.isin(names, list(_FEMALE_RELATIONS)) | (
            ~np.isin(names, list(_MALE_RELATIONS)) & (rng.random(n) < 0.5)
        )
        self.q_relation = relation
        self.q_female = female
        self.q_paternal = rng.random(n) < NOISE_RATES["inquirer_paternal_side"]
        self.q_given = np.zeros(n, np.int64)
        self.q_second = np.zeros(n, np.int64)
        self.q_third = np.zeros(n, np.int64)
        self.q_surname = np.zeros(n, np.int64)
        culture = self.f_culture[families]
        for ci in self.cultures:
            lex = _LEXICONS[ci]
            idx = np.flatnonzero(culture == ci)
            k = len(idx)
            self.q_given[idx] = np.where(
                female[idx],
                rng.choice(lex.female, k, p=lex.female_p),
                rng.choice(lex.male, k, p=lex.male_p),
            )
            self.q_second[idx] = rng.choice(lex.male, k, p=lex.male_p)
            self.q_third[idx] = rng.choice(lex.male, k, p=lex.male_p)
            if len(lex.surname):
                self.q_surname[idx] = rng.choice(lex.surname, k, p=lex.surname_p)
        event = self.f["event"][families]
        delay = np.floor(rng.exponential(REQUEST_DELAY_DAYS, n)).astype(np.int64) + 1
        later = np.floor(rng.exponential(60.0, n)).astype(np.int64) * (self.inq_rank == 1)
        self.q_day = np.minimum(event + delay + later, self.today)
        self.q_script = rng.random(n) < NOISE_RATES["original_script"]
        self.script_sought = np.zeros(len(self.p_family), np.bool_)
        self.script_sought[self.row_person[self.q_script[self.row_inq]]] = True

    def requests(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        rng, rnd, pen = self.rng, self.rnd, self.pen
        n_q = len(self.inq_family)
        q_families = self.inq_family
        q_culture = self.f_culture[q_families]
        ws = self.help_desk
        q_writers = (np.array(ws.first)[q_culture] + rng.integers(0, ws.size, n_q)).tolist()
        q_russian = ((q_culture == UKRAINE) & (self.f["lang"][q_families] == 1)).tolist()
        q_point_missing = rng.random(n_q) < NOISE_RATES["point_missing_request"]
        q_place_missing = rng.random(n_q) < NOISE_RATES["place_missing_request"]
        q_date_missing = rng.random(n_q) < NOISE_RATES["sep_date_missing_request"]
        q_qualified = rng.random(n_q) < NOISE_RATES["place_qualified"]
        q_lat, q_lon, q_town = self._points(q_families, FAMILY_POINT_KM)
        q_sep = self._sep_date_strings(q_families, self.q_day, "request", q_date_missing)
        q_languages = self._languages(q_families, child=False)
        q_days = _iso(self.q_day)

        persons = self.row_person
        n = len(persons)
        row_day = self.q_day[self.row_inq]
        true_age = np.floor((row_day - self.p_dob[persons]) / _YEAR).astype(np.int64)
        at_separation = rng.random(n) < NOISE_RATES["request_age_at_separation"]
        age = np.where(at_separation, self.p_age_sep[persons], true_age)
        off = (rng.random(n) < NOISE_RATES["request_age_off_by_one"]) * rng.choice([-1, 1], n)
        age = np.clip(age + off, 0, 25)
        relation = self.q_relation[self.row_inq]
        parent = (relation == _MOTHER) | (relation == _FATHER)
        small = true_age < 6
        minimal = small & ~parent & (rng.random(n) < NOISE_RATES["minimal_record_request_under6"])
        row_writers = [q_writers[q] for q in self.row_inq.tolist()]
        ages = self._age_strings(age)
        dobs, _ = self._dob_strings(persons, row_day, "request", minimal)
        sexes = self._sex_strings(persons, ws, row_writers, NOISE_RATES["sex_wrong_request"])
        lg_only = NOISE_RATES["parent_given_only_request"]
        levels = _cumulative(lg_only, 1 - lg_only - NOISE_RATES["parent_full_request"], 1.0)
        levels[-1] = 1.0

        cols: dict[str, list[str]] = {c: [] for c in REQUEST_COLUMNS}
        truth_person: list[str] = []
        truth_family: list[str] = []
        inquiry_counter = dict.fromkeys(CULTURES, 0)
        child_counter = dict.fromkeys(CULTURES, 0)
        starts = np.searchsorted(self.row_inq, np.arange(n_q + 1)).tolist()
        for q in rng.permutation(n_q).tolist():
            f = int(q_families[q])
            ci = int(q_culture[q])
            culture_name = CULTURES[ci]
            code = CULTURE_CODES[culture_name]
            w = q_writers[q]
            order = ws.order[w]
            case = ws.case[w]
            pen.setup(ws.style[w], bool(self.q_script[q]), q_russian[q], ws.split[w], ws.typo[w])
            relation_q = int(self.q_relation[q])
            mother = father = inquirer = ""
            if rnd.random() >= NOISE_RATES["parent_missing_request"]:
                mother = self._parent(f, True, _pick(levels, rnd.random()) + 1, order)
            if rnd.random() >= NOISE_RATES["parent_missing_request"]:
                father = self._parent(f, False, _pick(levels, rnd.random()) + 1, order)
            if relation_q in (_MOTHER, _FATHER):
                is_mother = relation_q == _MOTHER
                written = mother if is_mother else father
                if not written or rnd.random() < NOISE_RATES["inquirer_name_retyped"]:
                    inquirer = self._parent(f, is_mother, 2 + rnd.randrange(2), order)
                else:
                    inquirer = written
                if rnd.random() < NOISE_RATES["parent_missing_when_inquirer"]:
                    if is_mother:
                        mother = ""
                    else:
                        father = ""
            else:
                inquirer = self._relative(q, order)
            place = ""
            if not q_place_missing[q]:
                place = self._place(_LEXICONS[ci].towns[int(q_town[q])], bool(q_qualified[q]))
            decimals = ws.decimals[w]
            point_missing = bool(q_point_missing[q])
            lat = "" if point_missing else _format_coord(q_lat[q], decimals)
            lon = "" if point_missing else _format_coord(q_lon[q], decimals)
            inquiry_counter[culture_name] += 1
            inquiry_ref = f"INQ-{code}-{inquiry_counter[culture_name]:06d}"
            for r in range(starts[q], starts[q + 1]):
                p = int(persons[r])
                mini = bool(minimal[r])
                given, family, others = self._child_names(
                    p,
                    child_side=False,
                    small=bool(small[r]),
                    minimal=mini,
                    nick_only=False,
                    order=order,
                )
                child_counter[culture_name] += 1
                cols["ref"].append(f"SC-{code}-{child_counter[culture_name]:06d}")
                cols["inquiry_ref"].append(inquiry_ref)
                cols["inquirer_name"].append(_cased(inquirer, case))
                cols["inquirer_relationship"].append(_RELATIONS[relation_q])
                cols["given_name"].append(_cased(given, case))
                cols["family_name"].append(_cased(family, case))
                cols["other_names"].append(_cased(";".join(others), case))
                cols["sex"].append(sexes[r])
                cols["age"].append(ages[r])
                cols["date_of_birth"].append(dobs[r])
                cols["separation_date"].append("" if mini else q_sep[q])
                cols["separation_place"].append("" if mini else _cased(place, case))
                cols["separation_lat"].append("" if mini else lat)
                cols["separation_lon"].append("" if mini else lon)
                cols["mother_name"].append("" if mini else _cased(mother, case))
                cols["father_name"].append("" if mini else _cased(father, case))
                cols["language"].append(q_languages[q])
                cols["request_date"].append(q_days[q])
                truth_person.append(f"P{p:07d}")
                truth_family.append(f"F{f:06d}")
        requests = pd.DataFrame(cols, columns=list(REQUEST_COLUMNS), dtype=object)
        truth = pd.DataFrame(
            {"ref": cols["ref"], "person_id": truth_person, "family_id": truth_family},
            columns=list(TRUTH_COLUMNS),
            dtype=object,
        )
        return requests, truth

    def build(self) -> Scenario:
        self.population()
        self.families()
        self.persons()
        self.field_workers = _Writers.draw(self.rng, 40)
        self.help_desk = _Writers.draw(self.rng, 25)
        self.inquiries()
        children, truth_children = self.children()
        requests, truth_requests = self.requests()
        return Scenario(children, requests, truth_children, truth_requests)


# ------------------------------------------------------------------------------ public API


def generate(
    culture: str,
    n_children: int,
    n_sought: int,
    seed: int = 0,
    registered_share: float = 0.7,
    today: dt.date = dt.date(2026, 11, 1),
) -> Scenario:
    """A separation scenario: n_children registered children, n_sought sought children.

    ``culture`` is one of CULTURES or "mixed" (each family drawn from the three).
    ``registered_share`` of the sought persons are also registered; most registered
    children are sought by no one. The same arguments always give the same scenario.
    """
    if culture not in (*CULTURES, "mixed"):
        raise ValueError(f"culture must be one of {', '.join(CULTURES)} or mixed, not {culture!r}")
    if n_children < 0 or n_sought < 0:
        raise ValueError("n_children and n_sought must not be negative")
    if not 0.0 <= registered_share <= 1.0:
        raise ValueError("registered_share must be between 0 and 1")
    return _Builder(culture, n_children, n_sought, seed, registered_share, today).build()


def write(scenario: Scenario, out_dir: Path) -> None:
    """children.csv, requests.csv, truth_children.csv, truth_requests.csv (UTF-8, header)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frames = {
        "children.csv": scenario.children,
        "requests.csv": scenario.requests,
        "truth_children.csv": scenario.truth_children,
        "truth_requests.csv": scenario.truth_requests,
    }
    for name, frame in frames.items():
        frame.to_csv(out_dir / name, index=False, encoding="utf-8", lineterminator="\n")


def _noise_docs() -> dict[str, tuple[str, str]]:
    """(section, description) of each NOISE_RATES key, from the comments in this file."""
    docs: dict[str, tuple[str, str]] = {}
    try:
        source = Path(__file__).read_text(encoding="utf-8")
    except OSError:
        return docs
    block = source.split("NOISE_RATES: dict[str, float] = {", 1)[-1].split("\n}\n", 1)[0]
    section = ""
    comment: list[str] = []
    for line in block.splitlines():
        text = line.strip()
        if text.startswith("# ---"):
            section, comment = text[5:].strip(), []
        elif text.startswith("#"):
            comment.append(text[1:].strip())
        elif match := re.match(r'"(\w+)":', text):
            docs[match.group(1)] = (section, " ".join(comment))
            comment = []
    return docs


def describe_noise() -> str:
    """Every rate the generator uses, as markdown tables (for the README)."""
    docs = _noise_docs()
    lines = ["| rate | value | what it is |", "|---|---:|---|"]
    section = None
    for key, value in NOISE_RATES.items():
        where, text = docs.get(key, ("", ""))
        if where != section:
            section = where
            lines.append(f"| **{where}** | | |")
        lines.append(f"| `{key}` | {value:g} | {text} |")
    lines += ["", "| writer romanisation style | share of writers |", "|---|---:|"]
    for culture, styles in WRITER_STYLES.items():
        lines += [f"| {culture}: {name} | {share:g} |" for name, share in styles]
    lines += ["", "| children separated together | share of families |", "|---:|---:|"]
    lines += [f"| {size} | {share:g} |" for size, share in FAMILY_SIZES]
    lines += ["", "| inquirer | share of inquiries |", "|---|---:|"]
    lines += [f"| {name} | {share:g} |" for name, share in INQUIRER_RELATIONSHIPS]
    lines += [
        "",
        "| age estimate on a child's record | offset from true age: weight |",
        "|---|---|",
    ]
    for band, errors in CHILD_AGE_ERRORS.items():
        text = ", ".join(f"{offset:+d}: {weight:g}" for offset, weight in errors)
        lines.append(f"| {band} | {text} |")
    kinds = {"male": "male names", "female": "female names", "surname": "family names"}
    zipf = "; ".join(
        f"{where} {kinds[kind]} ({exponent:g}, {offset:g})"
        for where, table in (("Sudanese and Khmer", ZIPF), ("Ukrainian", ZIPF_UKRAINE))
        for kind, (exponent, offset) in table.items()
    )
    lines += [
        "",
        "A registration's age is the field worker's estimate (above) unless a date of birth"
        " is known, when it is worked out from it; estimates stop at 17. Separation points:"
        f" the child's record lies a median {CHILD_POINT_KM:g} km from where the family was"
        f" separated, the family's a median {FAMILY_POINT_KM:g} km (log-normal, at most five"
        " medians). Registration follows separation by"
        f" {REGISTRATION_DELAY_DAYS:g} days on average, a request by {REQUEST_DELAY_DAYS:g}."
        " Name frequencies are Zipf-like, weight 1 / (rank + offset) ** exponent, (exponent,"
        f" offset): {zipf}; each list ends in a long tail of rare names.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--culture", default="mixed", choices=[*CULTURES, "mixed"])
    parser.add_argument("--children", type=int, default=1200, help="registered children")
    parser.add_argument("--sought", type=int, default=360, help="sought children")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--registered-share", type=float, default=0.7)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--describe", action="store_true", help="print the noise rates and exit")
    args = parser.parse_args(argv)
    if args.describe:
        print(describe_noise())
        return 0
    started = time.perf_counter()
    scenario = generate(args.culture, args.children, args.sought, args.seed, args.registered_share)
    write(scenario, args.out)
    elapsed = time.perf_counter() - started
    print(
        f"{len(scenario.children):,} children and {len(scenario.requests):,} sought children"
        f" ({args.culture}, seed {args.seed}) written to {args.out} in {elapsed:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
