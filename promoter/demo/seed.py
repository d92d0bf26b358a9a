"""Realistic, reproducible demo data: a year of survey activity for one project.

``seed_project`` fills a project with people, displays, declines and NPS/CSAT/CES responses
whose structure is worth exploring in the dashboard:

- weekly seasonality (fewer responses at weekends, slightly kinder ones), daily noise, a growing
  volume and a gentle upward NPS trend over the year;
- one dip of a few weeks (a pricing change, then an outage) where pricing and bug complaints
  spike;
- real effects of plan (enterprise and pro happier than free), of a hidden A/B ``variant``
  (B is about 8 NPS points above A), of device and role, and two clearly unhappy accounts;
- comments whose themes and tone follow the score (see ``seed_comments``);
- three additional questions on the NPS survey (:data:`DEMO_QUESTIONS`), answered on about
  60 % of its responses, with effects a cross-tab finds: detractors ask to improve
  "performance" far more often than promoters (about 55 % against 15 %), promoters find setup
  easier, and about a third would be very disappointed without the product, promoters more.

The responses, people and the rest come from one ``random.Random(seed)``; the answers to the
additional questions from a second one, ``random.Random(seed + 1)``, so adding them changed
nothing else a seed writes.
"""

from __future__ import annotations

import datetime
import math
import random
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from promoter.accounts.models import Project
from promoter.actions.surveys import survey_publish, survey_questions_save
from promoter.core.zones import zone
from promoter.demo.seed_comments import EVENT_THEMES, Event, Tone, comment_compose
from promoter.people.models import EndUser
from promoter.people.statecache import project_people_changed
from promoter.responses.models import (
    Answer,
    Category,
    Channel,
    Decline,
    Display,
    Response,
    Status,
)
from promoter.surveys.models import DEFAULT_TEXTS, Survey, SurveyKind
from promoter.surveys.questions import QuestionsError, answer_clean, as_asked
from promoter.surveys.scales import category_for
from promoter.surveys.texts import product_name

BATCH_SIZE = 2000
WINDOW = datetime.timedelta(days=365)
# Nothing is written closer to ``until`` than this, so a comment added a few minutes after its
# score still lands before ``until``.
_MARGIN = datetime.timedelta(minutes=15)
ORIGIN = "https://app.example.com"

SEED_SURVEYS: tuple[tuple[str, str], ...] = (
    (SurveyKind.NPS, "Net Promoter Score"),  # the name project_create gives its default survey
    (SurveyKind.CSAT, "Support satisfaction (CSAT)"),
    (SurveyKind.CES, "Support effort (CES)"),
)
# In-app, CSAT and CES wait for an event the host app tracks (the demo page has buttons).
SEED_TRIGGERS: dict[str, str] = {SurveyKind.CSAT: "ticket_closed", SurveyKind.CES: "chat_closed"}
NPS_REVIEW_URL = "https://www.g2.com/products/acme-cloud/take_survey"
KIND_WEIGHTS: dict[str, int] = {SurveyKind.NPS: 70, SurveyKind.CSAT: 15, SurveyKind.CES: 15}

# The NPS demo survey's additional questions, published when the demo first sets it up.
DEMO_QUESTIONS: tuple[dict[str, Any], ...] = (
    {
        "id": "improve",
        "type": "multiple_choice",
        "text": "What should we improve?",
        "choices": [
            {"id": "performance", "text": "Performance"},
            {"id": "price", "text": "Price"},
            {"id": "support", "text": "Support"},
            {"id": "docs", "text": "Documentation"},
            {"id": "integrations", "text": "Integrations"},
        ],
        "other": True,
    },
    {"id": "setup", "type": "rating", "text": "How easy is setup?", "style": "stars"},
    {"id": "pmf", "type": "pmf", "text": ""},
)
ANSWERED_SHARE = 0.6  # of the NPS responses, those that answer the additional questions
# The planted effects, by category: the chance each choice is picked, the weights of the
# ratings 1-5 and of the product-market-fit answers.
IMPROVE_PICKS: dict[str, dict[str, float]] = {
    "detractor": {"performance": 0.50, "price": 0.30, "support": 0.25, "docs": 0.10,
                  "integrations": 0.15},
    "passive": {"performance": 0.30, "price": 0.25, "support": 0.15, "docs": 0.20,
                "integrations": 0.25},
    "promoter": {"performance": 0.12, "price": 0.15, "support": 0.10, "docs": 0.25,
                 "integrations": 0.35},
}  # fmt: skip
IMPROVE_OTHER = 0.06
OTHER_TEXTS = (
    "Dark mode",
    "Bulk editing",
    "A mobile app for tablets",
    "Better search",
    "More keyboard shortcuts",
    "Audit log export",
    "SSO for contractors",
    "Offline mode",
)
SETUP_WEIGHTS: dict[str, tuple[int, ...]] = {
    "detractor": (18, 28, 28, 17, 9),
    "passive": (5, 14, 34, 32, 15),
    "promoter": (2, 6, 18, 38, 36),
}
PMF_WEIGHTS: dict[str, dict[str, int]] = {
    "detractor": {"very_disappointed": 10, "somewhat_disappointed": 38, "not_disappointed": 52},
    "passive": {"very_disappointed": 25, "somewhat_disappointed": 50, "not_disappointed": 25},
    "promoter": {"very_disappointed": 46, "somewhat_disappointed": 42, "not_disappointed": 12},
}

TEXTS_FR: dict[str, dict[str, str]] = {
    SurveyKind.NPS: {
        "question": (
            "Quelle est la probabilité que vous recommandiez {product} à un ami ou un collègue ?"
        ),
        "followup_promoter": "Qu'appréciez-vous le plus dans {product} ?",
        "followup_passive": "Que pourrions-nous faire pour améliorer {product} pour vous ?",
        "followup_detractor": (
            "Qu'est-ce qui vous a déçu, et que devrions-nous corriger en priorité ?"
        ),
        "thank_you": "Merci pour votre retour !",
    },
    SurveyKind.CSAT: {
        "question": "Dans quelle mesure êtes-vous satisfait de {product} ?",
        "followup_promoter": "Qu'avons-nous bien fait ?",
        "followup_passive": "Que pourrions-nous faire mieux ?",
        "followup_detractor": "Qu'est-ce qui n'a pas fonctionné ?",
        "thank_you": "Merci pour votre retour !",
    },
    SurveyKind.CES: {
        "question": "{product} m'a permis de régler facilement mon problème.",
        "followup_promoter": "Qu'est-ce qui a rendu cela facile ?",
        "followup_passive": "Qu'est-ce qui aurait rendu cela plus facile ?",
        "followup_detractor": "Qu'est-ce qui a rendu cela difficile ?",
        "thank_you": "Merci pour votre retour !",
    },
}

# Fictional companies; e-mail domains end in the reserved .example TLD so a demo database can
# never e-mail anyone real.
# fmt: off
COMPANIES: tuple[str, ...] = (
    "Northwind Logistics", "Bluefin Analytics", "Copperleaf Health", "Quarry Labs",
    "Brightpath Learning", "Harborview Realty", "Ironclad Security", "Juniper Foods",
    "Kestrel Aerospace", "Lumenworks", "Maplestone Insurance", "Nimbus Cloudworks",
    "Oakridge Dental", "Pinecrest Capital", "Quillfeather Publishing", "Redwood Robotics",
    "Saltmarsh Studios", "Tidewater Shipping", "Umber & Finch", "Vantage Point Media",
    "Willowbrook Farms", "Yellowtail Travel", "Zephyr Energy", "Alderbank Finance",
    "Birchline Outdoors", "Cinder Coffee Roasters", "Driftwood Hotels", "Emberly Candles",
    "Foxglove Pharmacy", "Granite Peak Construction", "Hollowtree Games", "Indigo Mills",
    "Jadestone Jewelry", "Kingfisher Telecom", "Larkspur Legal", "Moonrise Bakery",
    "Nettle & Sage", "Orchid Bioscience", "Pebblebrook Schools", "Quartzline Semiconductors",
    "Riverbend Clinics", "Silverline Freight", "Thistle Home Goods", "Upland Orchards",
    "Verdant Landscaping", "Wavecrest Surf Co", "Xylo Music", "Yarrow Wellness",
    "Zinnia Florals", "Acorn Accounting", "Beacon Hill Partners", "Cobalt Data Systems",
    "Dovetail Furniture", "Evergreen Property Group", "Fernhill Veterinary", "Glasswing Design",
    "Heron Bay Marina", "Ivory Tower Consulting", "Jasper Logistics", "Keystone Manufacturing",
    "Lighthouse Analytics", "Meridian Bank", "Northstar Staffing", "Onyx Motors",
    "Paragon Events", "Quicksilver Couriers", "Rosewood Interiors", "Summit Ridge Outfitters",
    "Trailhead Ventures", "Unity Health Partners", "Vireo Software", "Wildflower Cosmetics",
    "Apex Fitness", "Bramble Books", "Canopy Solar", "Delta Fieldworks",
    "Eastgate Dental Group", "Falcon Ridge Mining", "Greenleaf Grocers", "Highland Pet Care",
    "Inkwell Agency", "Jetstream Airways", "Kiln & Clay", "Lantern Insurance",
    "Mosaic Marketing", "Nova Biotech", "Orbit Payments", "Prairie Wind Power",
    "Quantum Leap Tutoring", "Rainier Outdoor", "Sparrow Health", "Tessellate Architecture",
    "Urban Roots Gardening", "Velvet Lane Fashion", "Westbrook Law", "Yieldwise Agritech",
    "Zenith Optics", "Arbor Day Care", "Bellwether Research", "Cascade Water Co",
    "Dune Analytics Group", "Elmstreet Bakers", "Fjord Seafood", "Gullwing Aviation",
    "Hearthstone Realty", "Icefield Cold Storage", "Juno Telehealth", "Kelp Forest Labs",
    "Lodestar Navigation", "Marigold Catering", "Nightingale Nursing", "Olive Grove Imports",
    "Parchment Printing", "Quayside Restaurants", "Rook Chess Academy", "Sable Leatherworks",
    "Thornfield Estates", "Ultramarine Paints", "Vista Eyecare", "Waypoint Logistics",
    "Aurora Clinics", "Basalt Engineering", "Clover Credit Union", "Dahlia Weddings",
    "Echo Valley Radio", "Firefly Electric", "Goldcrest Hotels", "Hummingbird Tea",
    "Isle Royale Tours", "Jubilee Toys", "Kite & Key Coworking", "Lighthall Recruiting",
    "Mariner Insurance", "Nordic Timber", "Opal Dermatology", "Pioneer Plumbing",
    "Quince Organics", "Ravenwood Cyber", "Seabright Pools", "Tamarack Ski Resort",
    "Underhill Storage", "Vermilion Labs", "Whitecap Brewing", "Yosemite Gear",
    "Zodiac Entertainment", "Amberwave Grain", "Blackbird Coffee", "Crescent Moon Yoga",
    "Daybreak Home Care", "Edgewater Marinas",
)

# First and last names by language of the person.
FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda",
        "William", "Emily", "Daniel", "Sarah", "Matthew", "Jessica", "Anthony", "Karen",
        "Priya", "Raj", "Aisha", "Omar", "Wei", "Mei", "Kenji", "Yuki", "Olivia", "Liam",
        "Noah", "Emma", "Ava", "Ethan", "Sophia", "Lucas", "Chloe", "Grace", "Samuel", "Hannah",
        "Arjun", "Fatima", "Ben", "Zoe",
    ),
    "fr": (
        "Camille", "Louis", "Chloé", "Hugo", "Manon", "Jules", "Léa", "Gabriel", "Inès",
        "Arthur", "Sarah", "Nathan", "Juliette", "Théo", "Élodie", "Mathieu", "Claire",
        "Antoine", "Margaux", "Julien",
    ),
    "de": (
        "Lukas", "Anna", "Felix", "Laura", "Jonas", "Lena", "Maximilian", "Sophie", "Paul",
        "Marie", "Leon", "Julia", "Tobias", "Katharina", "Stefan", "Sabine", "Jürgen", "Petra",
        "Florian", "Miriam",
    ),
    "es": (
        "Lucía", "Hugo", "Sofía", "Martín", "María", "Pablo", "Valentina", "Alejandro",
        "Carmen", "Diego", "Elena", "Javier", "Paula", "Mateo", "Isabel", "Andrés", "Camila",
        "Sergio", "Laura", "Tomás",
    ),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "en": (
        "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Taylor",
        "Anderson", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris",
        "Clark", "Lewis", "Walker", "Patel", "Shah", "Khan", "Chen", "Wang", "Nguyen", "Kim",
        "Tanaka", "Okafor", "Mensah", "O'Brien", "Murphy", "Kowalski", "Novak", "Silva",
        "Hughes", "Evans", "Baker", "Reed", "Cooper",
    ),
    "fr": (
        "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
        "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "Roux", "Fournier",
        "Girard", "Bonnet", "Mercier",
    ),
    "de": (
        "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
        "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
        "Braun", "Zimmermann", "Krüger", "Hartmann",
    ),
    "es": (
        "García", "Rodríguez", "González", "Fernández", "López", "Martínez", "Sánchez",
        "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Álvarez",
        "Romero", "Navarro", "Torres", "Ramírez",
    ),
}

# ISO-2 country of an account, weighted like a typical SaaS customer base.
COUNTRIES: dict[str, int] = {
    "US": 38, "GB": 10, "DE": 8, "FR": 7, "CA": 5, "AU": 4, "IN": 4, "NL": 3, "ES": 3,
    "BR": 2, "SE": 2, "MX": 2, "IE": 2, "CH": 2, "BE": 2, "SG": 1, "AT": 1, "AR": 1, "CO": 1,
    "JP": 1, "PL": 1,
}
# fmt: on
BIG_ACCOUNT_COUNTRIES = {"US": 55, "GB": 15, "DE": 10, "FR": 8, "CA": 6, "AU": 6}
# Language spoken per country, when it is not English: (language, share of people).
COUNTRY_LANGUAGE: dict[str, tuple[str, float]] = {
    "FR": ("fr", 0.85),
    "BE": ("fr", 0.5),
    "CA": ("fr", 0.2),
    "CH": ("de", 0.6),
    "DE": ("de", 0.8),
    "AT": ("de", 0.8),
    "ES": ("es", 0.8),
    "MX": ("es", 0.8),
    "AR": ("es", 0.8),
    "CO": ("es", 0.8),
}

PLANS = ("free", "starter", "pro", "enterprise")
# Account sizes follow a power law: the k-th biggest has k^-exponent of the biggest's people.
ACCOUNT_SIZE_EXPONENT = 0.7
# NPS points added to a person's expected score, in the shift-of-probability sense of _score.
PLAN_EFFECT = {"free": -12.0, "starter": -3.0, "pro": 6.0, "enterprise": 12.0}
VARIANT_EFFECT = {"A": -4.0, "B": 4.0}
ROLE_WEIGHTS = {
    "admin": 15,
    "developer": 28,
    "manager": 20,
    "analyst": 15,
    "support": 13,
    "executive": 9,
}
ROLE_EFFECT = {
    "admin": -2.0,
    "developer": -1.0,
    "manager": 2.0,
    "analyst": 0.0,
    "support": -3.0,
    "executive": 5.0,
}
DEVICE_WEIGHTS = {"desktop": 68, "mobile": 24, "tablet": 8}
DEVICE_EFFECT = {"desktop": 1.0, "mobile": -4.0, "tablet": -1.0}
# Channel a person answers on, given their device.
DEVICE_CHANNELS: dict[str, dict[str, int]] = {
    "desktop": {Channel.WEB: 88, Channel.EMAIL: 12},
    "mobile": {Channel.IOS: 40, Channel.ANDROID: 35, Channel.WEB: 15, Channel.EMAIL: 10},
    "tablet": {Channel.IOS: 50, Channel.WEB: 35, Channel.ANDROID: 10, Channel.EMAIL: 5},
}

# Expected (promoter, detractor) shares of each kind before effects, and how strongly the
# effects move them: support-centred CSAT and CES react less to the product than NPS does.
BASE_SHARES: dict[str, tuple[float, float]] = {
    SurveyKind.NPS: (0.52, 0.19),
    SurveyKind.CSAT: (0.82, 0.07),
    SurveyKind.CES: (0.71, 0.12),
}
EFFECT_SCALE: dict[str, float] = {SurveyKind.NPS: 1.0, SurveyKind.CSAT: 0.6, SurveyKind.CES: 0.6}
# Scores within a category: {score: weight}.
SCORES: dict[str, dict[Category, dict[int, int]]] = {
    SurveyKind.NPS: {
        Category.PROMOTER: {10: 52, 9: 48},
        Category.PASSIVE: {8: 60, 7: 40},
        Category.DETRACTOR: {6: 38, 5: 25, 4: 10, 3: 8, 2: 5, 1: 3, 0: 11},
    },
    SurveyKind.CSAT: {
        Category.PROMOTER: {5: 58, 4: 42},
        Category.PASSIVE: {3: 1},
        Category.DETRACTOR: {2: 60, 1: 40},
    },
    SurveyKind.CES: {
        Category.PROMOTER: {7: 30, 6: 38, 5: 32},
        Category.PASSIVE: {4: 1},
        Category.DETRACTOR: {3: 50, 2: 35, 1: 15},
    },
}
ANGRY_DETRACTOR = {0: 22, 1: 7, 2: 9, 3: 12, 4: 12, 5: 18, 6: 20}

TONES: dict[Category, dict[Tone, int]] = {
    Category.PROMOTER: {"praise": 80, "mixed": 12, "suggestion": 8},
    Category.PASSIVE: {"mixed": 45, "praise": 17, "suggestion": 20, "complaint": 18},
    Category.DETRACTOR: {"complaint": 80, "mixed": 15, "suggestion": 5},
}
COMMENT_CHANCE = {Category.PROMOTER: 0.63, Category.PASSIVE: 0.62, Category.DETRACTOR: 0.82}

THEME_WEIGHTS: dict[str, float] = {
    "pricing": 10,
    "billing": 3,
    "support": 9,
    "performance": 8,
    "reliability": 8,
    "onboarding": 5,
    "usability": 12,
    "integrations": 6,
    "slack": 4,
    "sso": 3,
    "api": 4,
    "reporting": 8,
    "export": 4,
    "mobile": 3,
    "documentation": 4,
    "account_management": 3,
    "missing_features": 6,
}
# Multipliers of THEME_WEIGHTS by what is being said, asked or who says it.
TONE_THEMES: dict[str, dict[str, float]] = {
    "praise": {"usability": 1.6, "support": 1.5, "reporting": 1.3, "pricing": 0.4},
    "complaint": {
        "pricing": 1.8,
        "performance": 1.5,
        "reliability": 1.6,
        "missing_features": 1.5,
        "billing": 1.5,
        "usability": 0.7,
    },
}
SUPPORT_SURVEY_THEMES = {
    "support": 6.0,
    "documentation": 2.0,
    "onboarding": 2.0,
    "billing": 2.0,
    "usability": 1.5,
}
ROLE_THEMES: dict[str, dict[str, float]] = {
    "developer": {"api": 4.0, "integrations": 1.5, "documentation": 2.0},
    "admin": {"sso": 3.0, "billing": 2.0, "onboarding": 1.5},
    "analyst": {"reporting": 2.5, "export": 3.0},
    "executive": {"pricing": 1.5, "reporting": 1.5, "account_management": 2.0},
    "support": {"integrations": 1.5, "slack": 1.5, "performance": 1.3},
    "manager": {"reporting": 1.5, "usability": 1.2, "slack": 1.3},
}
PLAN_THEMES: dict[str, dict[str, float]] = {
    "free": {"pricing": 1.5, "missing_features": 1.3, "account_management": 0.1, "sso": 0.3},
    "starter": {"pricing": 1.2, "account_management": 0.3},
    "pro": {},
    "enterprise": {"sso": 2.5, "account_management": 3.0, "api": 1.5},
}

# Pages of the SaaS app where web surveys are shown; themes pull some comments to their page.
# fmt: off
PATHS: dict[str, int] = {
    "/dashboard": 30, "/projects/{n}": 14, "/projects/{n}/board": 10, "/reports": 8,
    "/reports/{n}": 6, "/inbox": 8, "/contacts": 6, "/settings/team": 3, "/settings/billing": 2,
    "/integrations": 3, "/search": 4, "/onboarding/step-{s}": 2, "/exports": 2,
}
# fmt: on
THEME_PATHS: dict[str, str] = {
    "billing": "/settings/billing",
    "pricing": "/settings/billing",
    "reporting": "/reports/{n}",
    "integrations": "/integrations",
    "slack": "/integrations",
    "onboarding": "/onboarding/step-{s}",
    "export": "/exports",
    "sso": "/settings/security",
    "api": "/settings/api-keys",
}


@dataclass(frozen=True)
class SeedResult:
    """What one ``seed_project`` call wrote: numbers of rows created."""

    surveys: int
    end_users: int
    responses: int
    displays: int
    declines: int
    comments: int
    answers: int = 0  # answers to the NPS survey's additional questions


@dataclass
class _Account:
    name: str
    domain: str
    country: str
    plan: str
    mrr: int
    mood: float
    # Before this instant the account was on the previous plan, paying previous_mrr.
    upgraded_at: datetime.datetime | None = None
    previous_plan: str = ""
    previous_mrr: int = 0
    theme_bias: dict[str, float] = field(default_factory=dict)

    def plan_at(self, when: datetime.datetime) -> tuple[str, int]:
        if self.upgraded_at is not None and when < self.upgraded_at:
            return self.previous_plan, self.previous_mrr
        return self.plan, self.mrr


@dataclass
class _Person:
    number: int
    account: _Account
    email_local: str
    locale: str
    country: str
    role: str
    device: str
    variant: str
    activity: float
    disposition: float
    id_bits: int
    signup_lead: datetime.timedelta
    seen_lead: datetime.timedelta
    seen_lag: datetime.timedelta
    first_event: datetime.datetime | None = None
    last_event: datetime.datetime | None = None

    def saw(self, when: datetime.datetime) -> None:
        if self.first_event is None or when < self.first_event:
            self.first_event = when
        if self.last_event is None or when > self.last_event:
            self.last_event = when

    def properties(self, when: datetime.datetime) -> dict[str, Any]:
        plan, mrr = self.account.plan_at(when)
        return {
            "plan": plan,
            "mrr_amount": mrr,
            "account": self.account.name,
            "role": self.role,
            "country": self.country,
            "device": self.device,
            "variant": self.variant,
        }


@dataclass
class _Answer:
    person: _Person
    kind: str
    channel: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    shown_at: datetime.datetime
    score: int
    comment: str
    origin_url: str
    status: str
    properties: dict[str, Any]
    id_bits: int


@dataclass
class _Shown:
    person: _Person
    kind: str
    channel: str
    created_at: datetime.datetime
    declined_at: datetime.datetime | None


@dataclass
class _Timeline:
    """The local calendar of the seeded year and what happens on each day."""

    start: datetime.datetime
    until: datetime.datetime
    tz: datetime.tzinfo
    days: list[datetime.date]
    cum_weights: list[float]
    dip_start: int
    dip_days: int
    outage_day: int

    def pick_instant(self, rng: random.Random) -> tuple[datetime.datetime, int]:
        """Draw a moment weighted by daily volume and office hours; return it and its day."""
        while True:
            index = rng.choices(range(len(self.days)), cum_weights=self.cum_weights)[0]
            if rng.random() < 0.85:
                hour = min(max(rng.gauss(13.5, 3.0), 6.0), 22.99)
            else:
                hour = rng.uniform(0.0, 23.99)
            local = datetime.datetime.combine(
                self.days[index], datetime.time(int(hour), int(hour % 1 * 60), rng.randrange(60))
            ).replace(tzinfo=self.tz)
            instant = local.astimezone(datetime.UTC)
            if self.start <= instant <= self.until - _MARGIN:
                return instant, index

    def dip(self, index: int) -> float:
        """Return how deep the dip is on day ``index``: 0 outside it, 1 at its worst."""
        x = index - self.dip_start
        if x < 0 or x >= self.dip_days:
            return 0.0
        if x < 3:
            return (x + 1) / 3
        if x < 10:
            return 1.0
        return 1.0 - (x - 10) / (self.dip_days - 10)

    def event(self, index: int) -> Event | None:
        if self.outage_day <= index < self.outage_day + 3:
            return "outage"
        if self.dip(index) > 0:
            return "pricing_change"
        return None


def seed_project(
    *,
    project: Project,
    responses: int,
    seed: int = 42,
    until: datetime.datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> SeedResult:
    """Fill ``project`` with a year of realistic survey activity ending at ``until``.

    Creates the project's three demo surveys (NPS, CSAT, CES) unless they exist, about
    ``responses / 2.5`` people (at least 50), ``responses`` responses split about 70/15/15
    between NPS, CSAT and CES, a display before each response, unanswered displays for a
    response rate of about 35 %, and declines on about 20 % of displays. Every response,
    display and decline falls in the 365 days before ``until`` (default: now); sign-up dates
    may be older. ``progress(k)`` is called after each batch with the number of responses just
    written. All rows are written in one transaction.

    The NPS survey gets the additional questions of :data:`DEMO_QUESTIONS`, saved and
    published as a person would (``survey_questions_save``, ``survey_publish``) when it has
    never been published; about 60 % of its responses answer those of them its live version
    asks (with their wording as asked, the product's name filled in), the effects of
    :data:`IMPROVE_PICKS`, :data:`SETUP_WEIGHTS` and :data:`PMF_WEIGHTS` planted.

    Deterministic: for the same ``seed``, ``until`` and project timezone, seeding an empty
    project writes the same people (external ids, e-mails, properties, dates) and the same
    responses, displays and declines (surveys, scores, comments, channels, dates, properties)
    in the same order, whatever the project; the answers to additional questions come from a
    second stream, ``random.Random(seed + 1)``, so everything else is as it was before the
    demo had them. Public ids are derived from the same random
    stream mixed with the project's public id and its current row counts, so they differ
    between projects and between successive seeds of one project. Seeding a project that
    already has people adds new ones, numbered after the existing ones.
    """
    if responses < 1:
        raise ValueError("responses must be at least 1")
    if until is None:
        until = datetime.datetime.now(datetime.UTC)
    elif until.tzinfo is None:
        raise ValueError("until must be an aware datetime")
    until = until.astimezone(datetime.UTC)
    rng = random.Random(seed)
    timeline = _timeline(rng=rng, until=until, tz=_project_tz(project))
    people = _people(rng=rng, timeline=timeline, count=max(50, round(responses / 2.5)))
    answers = _answers(rng=rng, timeline=timeline, people=people, count=responses)
    shown = _unanswered(rng=rng, timeline=timeline, people=people, count=responses)
    extra = _extra_answers(rng=random.Random(seed + 1), answers=answers)
    with transaction.atomic():
        project_people_changed(project.pk)  # people and histories change in bulk
        surveys, surveys_created = _surveys_ensure(project=project)
        namespace = uuid.uuid5(
            project.public_id,
            f"promoter-seed:{seed}:{until.isoformat()}:"
            f"{EndUser.objects.filter(project=project).count()}:"
            f"{Response.objects.filter(project=project).count()}",
        )
        users = _end_users_create(
            project=project, people=people, timeline=timeline, namespace=namespace
        )
        counts = _activity_create(
            project=project,
            surveys=surveys,
            users=users,
            answers=answers,
            shown=shown,
            namespace=namespace,
            progress=progress,
            extra=extra,
        )
    return SeedResult(
        surveys=surveys_created,
        end_users=len(users),
        responses=len(answers),
        displays=counts[0],
        declines=counts[1],
        comments=sum(1 for a in answers if a.comment),
        answers=counts[2],
    )


def _project_tz(project: Project) -> datetime.tzinfo:
    return zone(project.timezone)


def _timeline(*, rng: random.Random, until: datetime.datetime, tz: datetime.tzinfo) -> _Timeline:
    start = until - WINDOW
    first = start.astimezone(tz).date()
    last = until.astimezone(tz).date()
    days = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    dip_start = int(len(days) * 0.55) + rng.randrange(40)
    dip_days = rng.randrange(21, 31)
    outage_day = dip_start + rng.randrange(10, 15)
    cum_weights: list[float] = []
    total = 0.0
    for i, day in enumerate(days):
        weekday = day.weekday()
        weight = 1.0 if weekday < 5 else (0.38 if weekday == 5 else 0.32)
        weight *= 0.8 + 0.45 * i / len(days)  # the customer base grows over the year
        weight *= rng.lognormvariate(0.0, 0.22)
        if dip_start <= i < dip_start + dip_days:
            weight *= 1.3  # unhappy people answer more
        total += weight
        cum_weights.append(total)
    return _Timeline(
        start=start,
        until=until,
        tz=tz,
        days=days,
        cum_weights=cum_weights,
        dip_start=dip_start,
        dip_days=dip_days,
        outage_day=outage_day,
    )


def _weighted(rng: random.Random, weights: dict[str, int] | dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in ".-"))


def _accounts(*, rng: random.Random, timeline: _Timeline, people: int) -> list[_Account]:
    names = list(COMPANIES)
    rng.shuffle(names)
    names = names[: min(len(names), max(12, people // 5))]
    accounts: list[_Account] = []
    for rank, name in enumerate(names):
        top = rank / len(names)
        if top < 0.1:
            plan = _weighted(rng, {"enterprise": 55, "pro": 35, "starter": 10})
            country = _weighted(rng, BIG_ACCOUNT_COUNTRIES)
        elif top < 0.4:
            plan = _weighted(rng, {"enterprise": 8, "pro": 32, "starter": 35, "free": 25})
            country = _weighted(rng, COUNTRIES)
        else:
            plan = _weighted(rng, {"pro": 12, "starter": 33, "free": 55})
            country = _weighted(rng, COUNTRIES)
        # About the number of this account's people in the seed, times a few who are never asked.
        share = 1.0 / (rank + 1) ** ACCOUNT_SIZE_EXPONENT / 7
        seats = max(3, round(people * share * rng.uniform(1.5, 4.0)))
        account = _Account(
            name=name,
            domain=_ascii(name.replace("&", "and").lower()) + ".example",
            country=country,
            plan=plan,
            mrr=_mrr(rng=rng, plan=plan, seats=seats),
            mood=rng.gauss(0.0, 6.0),
        )
        if plan != "free" and rng.random() < 0.15:
            account.previous_plan = PLANS[PLANS.index(plan) - 1]
            account.previous_mrr = _mrr(rng=rng, plan=account.previous_plan, seats=seats)
            account.upgraded_at = timeline.start + rng.uniform(0.1, 0.9) * WINDOW
        accounts.append(account)
    # Two big accounts are clearly unhappy, each about something specific; the biggest
    # enterprise account left is a champion.
    sour = rng.sample(range(2, min(12, len(accounts))), 2)
    accounts[sour[0]].mood = -80.0
    accounts[sour[0]].theme_bias = {"reliability": 6.0, "performance": 3.0, "support": 2.0}
    accounts[sour[1]].mood = -65.0
    accounts[sour[1]].theme_bias = {"billing": 5.0, "pricing": 3.0, "account_management": 4.0}
    others = [i for i in range(len(accounts)) if i not in sour]
    champion = next((i for i in others if accounts[i].plan == "enterprise"), others[0])
    accounts[champion].mood = 15.0
    return accounts


def _mrr(*, rng: random.Random, plan: str, seats: int) -> int:
    """Return a monthly recurring revenue for an account of ``seats`` users on ``plan``."""
    if plan == "free":
        return 0
    if plan == "starter":
        return rng.choice((29, 49, 79, 99, 149))
    if plan == "pro":
        return min(max(int(round(seats * rng.uniform(8, 15), -1)), 199), 2500)
    return min(max(int(round(seats * rng.uniform(15, 30), -2)), 2000), 25000)


def _people(*, rng: random.Random, timeline: _Timeline, count: int) -> list[_Person]:
    accounts = _accounts(rng=rng, timeline=timeline, people=count)
    account_weights = [1.0 / (rank + 1) ** ACCOUNT_SIZE_EXPONENT for rank in range(len(accounts))]
    taken: set[str] = set()
    people: list[_Person] = []
    for number in range(count):
        account = rng.choices(accounts, weights=account_weights)[0]
        country = account.country if rng.random() < 0.75 else _weighted(rng, COUNTRIES)
        language, share = COUNTRY_LANGUAGE.get(country, ("en", 0.0))
        locale = language if rng.random() < share else "en"
        names = locale if rng.random() < 0.85 else "en"
        first = rng.choice(FIRST_NAMES[names])
        last = rng.choice(LAST_NAMES[names])
        local = _ascii(f"{first}.{last}".lower().replace("'", ""))
        candidate, n = local, 1
        while f"{candidate}@{account.domain}" in taken:
            n += 1
            candidate = f"{local}{n}"
        taken.add(f"{candidate}@{account.domain}")
        people.append(
            _Person(
                number=number,
                account=account,
                email_local=candidate,
                locale=locale,
                country=country,
                role=_weighted(rng, ROLE_WEIGHTS),
                device=_weighted(rng, DEVICE_WEIGHTS),
                variant="B" if rng.random() < 0.5 else "A",
                activity=min(rng.lognormvariate(0.0, 0.5), 3.0),
                disposition=rng.gauss(0.0, 16.0),
                id_bits=rng.getrandbits(128),
                signup_lead=datetime.timedelta(days=1 + rng.expovariate(1 / 200)),
                seen_lead=datetime.timedelta(hours=rng.uniform(0, 24 * 14)),
                seen_lag=datetime.timedelta(hours=rng.uniform(0, 24 * 30)),
            )
        )
    return people


def _cumulative(values: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


def _answers(
    *, rng: random.Random, timeline: _Timeline, people: list[_Person], count: int
) -> list[_Answer]:
    instants = sorted(timeline.pick_instant(rng) for _ in range(count))
    person_cum = _cumulative([p.activity for p in people])
    kinds, kind_weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    answers = []
    for created_at, day in instants:
        person = rng.choices(people, cum_weights=person_cum)[0]
        kind = rng.choices(kinds, weights=kind_weights)[0]
        answers.append(
            _answer(rng=rng, timeline=timeline, person=person, kind=kind, at=(created_at, day))
        )
    return answers


def _answer(
    *,
    rng: random.Random,
    timeline: _Timeline,
    person: _Person,
    kind: str,
    at: tuple[datetime.datetime, int],
) -> _Answer:
    created_at, day = at
    properties = person.properties(created_at)
    dip = timeline.dip(day)
    effect = (
        PLAN_EFFECT[properties["plan"]]
        + VARIANT_EFFECT[person.variant]
        + ROLE_EFFECT[person.role]
        + DEVICE_EFFECT[person.device]
        + person.account.mood
        + person.disposition
        + (3.0 if timeline.days[day].weekday() >= 5 else 0.0)
        + 14.0 * (day / len(timeline.days) - 0.5)  # the product gets better over the year
        - 34.0 * dip
    )
    score, category = _score(rng=rng, kind=kind, effect=effect)
    channel = _weighted(rng, DEVICE_CHANNELS[person.device])
    comment, themes = _comment(
        rng=rng,
        person=person,
        kind=kind,
        category=category,
        channel=channel,
        plan=properties["plan"],
        event=timeline.event(day) if dip > 0 and rng.random() < 0.6 else None,
    )
    origin_url = _origin(rng=rng, themes=themes) if channel == Channel.WEB else ""
    age = timeline.until - created_at
    closing = 0.6 if category == Category.DETRACTOR else 0.3
    if age < datetime.timedelta(days=21):
        closing /= 5
    person.saw(created_at)
    typing = datetime.timedelta(seconds=rng.uniform(20, 360)) if comment else datetime.timedelta()
    return _Answer(
        person=person,
        kind=kind,
        channel=channel,
        created_at=created_at,
        updated_at=created_at + typing,
        shown_at=created_at - datetime.timedelta(seconds=rng.uniform(2, 75)),
        score=score,
        comment=comment,
        origin_url=origin_url,
        status=Status.CLOSED if rng.random() < closing else Status.OPEN,
        properties=properties,
        id_bits=rng.getrandbits(128),
    )


def _score(*, rng: random.Random, kind: str, effect: float) -> tuple[int, Category]:
    """Draw a score of ``kind`` whose NPS-like balance is shifted by ``effect`` points.

    An effect of +k moves k/2 percentage points from detractors to promoters, so an effect
    difference of k between two groups is a difference of about k in their NPS.
    """
    promoters, detractors = BASE_SHARES[kind]
    shift = effect * EFFECT_SCALE[kind] / 200
    p = min(max(promoters + shift, 0.02), 0.97)
    d = min(max(detractors - shift, 0.01), 0.95)
    if p + d > 0.98:
        p, d = p / (p + d) * 0.98, d / (p + d) * 0.98
    roll = rng.random()
    if roll < p:
        category = Category.PROMOTER
    elif roll < p + d:
        category = Category.DETRACTOR
    else:
        category = Category.PASSIVE
    weights = SCORES[kind][category]
    if kind == SurveyKind.NPS and category == Category.DETRACTOR and effect < -30:
        weights = ANGRY_DETRACTOR
    return rng.choices(list(weights), weights=list(weights.values()))[0], category


def _comment(
    *,
    rng: random.Random,
    person: _Person,
    kind: str,
    category: Category,
    channel: str,
    plan: str,
    event: Event | None,
) -> tuple[str, list[str]]:
    chance = COMMENT_CHANCE[category]
    if channel == Channel.EMAIL:
        chance += 0.08
    elif channel in (Channel.IOS, Channel.ANDROID):
        chance -= 0.12
    if kind != SurveyKind.NPS:
        chance -= 0.05
    if rng.random() >= chance:
        return "", []
    tone: Tone = rng.choices(list(TONES[category]), weights=list(TONES[category].values()))[0]
    if tone not in ("complaint", "mixed"):
        event = None
    weights = dict(THEME_WEIGHTS)
    factors = [
        TONE_THEMES.get(tone, {}),
        ROLE_THEMES[person.role],
        PLAN_THEMES[plan],
        person.account.theme_bias if tone != "praise" else {},
        SUPPORT_SURVEY_THEMES if kind != SurveyKind.NPS else {},
        {"mobile": 5.0} if person.device != "desktop" else {},
    ]
    for factor in factors:
        for theme, multiplier in factor.items():
            weights[theme] *= multiplier
    themes = [_weighted(rng, weights)]
    if rng.random() < 0.45:
        del weights[themes[0]]
        themes.append(_weighted(rng, weights))
    if event is not None:
        themes = [EVENT_THEMES[event], *(t for t in themes if t != EVENT_THEMES[event])]
    language = person.locale if rng.random() < 0.55 else "en"
    text = comment_compose(rng=rng, tone=tone, themes=themes, language=language, event=event)
    return text, themes


def _origin(*, rng: random.Random, themes: list[str]) -> str:
    if themes and themes[0] in THEME_PATHS and rng.random() < 0.4:
        path = THEME_PATHS[themes[0]]
    else:
        path = _weighted(rng, PATHS)
    return ORIGIN + path.format(n=rng.randrange(100, 9999), s=rng.randrange(1, 5))


def _unanswered(
    *, rng: random.Random, timeline: _Timeline, people: list[_Person], count: int
) -> list[_Shown]:
    """Draw the displays nobody answered: about 1.86 per response, 30 % of them declined."""
    person_cum = _cumulative([p.activity for p in people])
    kinds, kind_weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    shown = []
    for _ in range(round(count * 1.86)):
        created_at, _day = timeline.pick_instant(rng)
        if rng.random() < 0.5:
            person = rng.choices(people, cum_weights=person_cum)[0]
        else:  # some people are shown surveys but never answer any
            person = rng.choice(people)
        person.saw(created_at)
        kind = rng.choices(kinds, weights=kind_weights)[0]
        channel = _weighted(rng, DEVICE_CHANNELS[person.device])
        declined_at = None
        if rng.random() < 0.30:
            declined_at = created_at + datetime.timedelta(seconds=rng.uniform(1.5, 25))
        shown.append(_Shown(person, kind, channel, created_at, declined_at))
    shown.sort(key=lambda s: s.created_at)
    return shown


def _surveys_ensure(*, project: Project) -> tuple[dict[str, Survey], int]:
    """Return the project's demo surveys by kind, creating the missing ones, and how many."""
    surveys: dict[str, Survey] = {}
    created = 0
    for kind, name in SEED_SURVEYS:
        survey = Survey.objects.filter(project=project, kind=kind, name=name).order_by("pk").first()
        if survey is None:
            survey = Survey.objects.create(
                project=project,
                kind=kind,
                name=name,
                texts={"en": dict(DEFAULT_TEXTS[kind]), "fr": dict(TEXTS_FR[kind])},
                channels=[Channel.WEB, Channel.IOS, Channel.ANDROID, Channel.EMAIL],
                trigger_event=SEED_TRIGGERS.get(kind, ""),
            )
            created += 1
        if kind == SurveyKind.NPS and not survey.cta_url:
            survey.cta_url = NPS_REVIEW_URL
            survey.save(update_fields=["cta_url"])
        if kind == SurveyKind.NPS and survey.version == 0 and not survey.questions:
            survey_questions_save(survey=survey, questions=[dict(q) for q in DEMO_QUESTIONS])
            survey_publish(survey=survey)
        surveys[kind] = survey
    return surveys, created


def _end_users_create(
    *, project: Project, people: list[_Person], timeline: _Timeline, namespace: uuid.UUID
) -> list[EndUser]:
    taken = set(
        EndUser.objects.filter(project=project, external_id__startswith="usr_").values_list(
            "external_id", flat=True
        )
    )
    emails = set(
        EndUser.objects.filter(project=project, email__isnull=False).values_list("email", flat=True)
    )
    offset = len(taken)
    rows = []
    for person in people:
        number = person.number + offset
        while f"usr_{number:06d}" in taken:
            number += 1
        offset = number - person.number
        email, n = f"{person.email_local}@{person.account.domain}", 1
        while email in emails:  # only when seeding a project that already has people
            n += 1
            email = f"{person.email_local}.{n}@{person.account.domain}"
        emails.add(email)
        first = person.first_event or timeline.start + (timeline.until - timeline.start) / 2
        last = person.last_event or first
        signed_up_at = first - person.signup_lead
        rows.append(
            EndUser(
                public_id=uuid.uuid5(namespace, f"user:{person.id_bits:032x}"),
                project=project,
                external_id=f"usr_{number:06d}",
                email=email,
                signed_up_at=signed_up_at,
                properties=person.properties(timeline.until),
                locale=person.locale,
                first_seen_at=max(first - person.seen_lead, signed_up_at, timeline.start),
                last_seen_at=min(last + person.seen_lag, timeline.until),
            )
        )
    return EndUser.objects.bulk_create(rows, batch_size=BATCH_SIZE)


def _activity_create(
    *,
    project: Project,
    surveys: dict[str, Survey],
    users: list[EndUser],
    answers: list[_Answer],
    shown: list[_Shown],
    namespace: uuid.UUID,
    progress: Callable[[int], None] | None,
    extra: Sequence[dict[str, Any] | None] = (),
) -> tuple[int, int, int]:
    """Write responses with their displays and answers to additional questions (``extra``,
    by response), then the unanswered displays and declines.

    Written in slices of time order so ``progress`` advances evenly; returns (displays,
    declines, answers) written.
    """
    survey_ids = {kind: survey.pk for kind, survey in surveys.items()}
    nps = surveys[SurveyKind.NPS]
    asked = {
        q["id"]: q
        for q in as_asked(nps.published_questions or [], product=product_name(project))
        if any(q["id"] == d["id"] and q["type"] == d["type"] for d in DEMO_QUESTIONS)
    }
    displays = declines = written = 0
    chunks = max(1, math.ceil(len(answers) / BATCH_SIZE))
    for i in range(chunks):
        batch = answers[i * BATCH_SIZE : (i + 1) * BATCH_SIZE]
        others = shown[len(shown) * i // chunks : len(shown) * (i + 1) // chunks]
        shown_rows = [
            Display(
                project_id=project.pk,
                survey_id=survey_ids[a.kind],
                end_user_id=users[a.person.number].pk,
                channel=a.channel,
                created_at=a.shown_at,
            )
            for a in batch
        ]
        shown_rows += [
            Display(
                project_id=project.pk,
                survey_id=survey_ids[s.kind],
                end_user_id=users[s.person.number].pk,
                channel=s.channel,
                created_at=s.created_at,
            )
            for s in others
        ]
        shown_rows.sort(key=lambda row: row.created_at)
        decline_rows = [
            Decline(
                project_id=project.pk,
                survey_id=survey_ids[s.kind],
                end_user_id=users[s.person.number].pk,
                channel=s.channel,
                created_at=s.declined_at,
            )
            for s in others
            if s.declined_at is not None
        ]
        rows = Response.objects.bulk_create(
            [
                Response(
                    public_id=uuid.uuid5(namespace, f"response:{a.id_bits:032x}"),
                    project_id=project.pk,
                    survey_id=survey_ids[a.kind],
                    end_user_id=users[a.person.number].pk,
                    score=a.score,
                    comment=a.comment,
                    locale=a.person.locale,
                    channel=a.channel,
                    origin_url=a.origin_url,
                    properties=a.properties,
                    status=a.status,
                    created_at=a.created_at,
                    updated_at=a.updated_at,
                )
                for a in batch
            ],
            batch_size=BATCH_SIZE,
        )
        Display.objects.bulk_create(shown_rows, batch_size=BATCH_SIZE)
        Decline.objects.bulk_create(decline_rows, batch_size=BATCH_SIZE)
        answer_rows = (
            _answer_rows(nps, asked, rows, extra[i * BATCH_SIZE : (i + 1) * BATCH_SIZE])
            if asked and extra
            else []
        )
        Answer.objects.bulk_create(answer_rows, batch_size=BATCH_SIZE)
        displays += len(shown_rows)
        declines += len(decline_rows)
        written += len(answer_rows)
        if progress is not None:
            progress(len(batch))
    return displays, declines, written


def _extra_answers(*, rng: random.Random, answers: list[_Answer]) -> list[dict[str, Any] | None]:
    """Return, for each response, its answers to :data:`DEMO_QUESTIONS` in their wire form
    by question id (None: an unanswered or non-NPS one), the planted effects drawn from
    ``rng`` (its own stream: the responses' is untouched)."""
    out: list[dict[str, Any] | None] = []
    setup_scores = range(1, 6)
    for answer in answers:
        if answer.kind != SurveyKind.NPS or rng.random() >= ANSWERED_SHARE:
            out.append(None)
            continue
        category = category_for(SurveyKind.NPS, answer.score)
        given: dict[str, Any] = {}
        if rng.random() < 0.95:
            odds = IMPROVE_PICKS[category]
            picked = [choice for choice, p in odds.items() if rng.random() < p]
            other = rng.choice(OTHER_TEXTS) if rng.random() < IMPROVE_OTHER else ""
            if not picked and not other:
                picked = [_weighted(rng, odds)]
            given["improve"] = {"choices": picked, "other": other} if other else picked
        if rng.random() < 0.88:
            given["setup"] = rng.choices(setup_scores, weights=SETUP_WEIGHTS[category])[0]
        if rng.random() < 0.85:
            given["pmf"] = _weighted(rng, PMF_WEIGHTS[category])
        out.append(given or None)
    return out


def _answer_rows(
    survey: Survey,
    asked: dict[str, dict[str, Any]],
    responses: Sequence[Response],
    extra: Sequence[dict[str, Any] | None],
) -> list[Answer]:
    """Return the Answer rows of ``responses`` (just written, with their ids) that ``extra``
    answers, in the stored form and wording of the questions ``asked`` (as asked, by id)."""
    rows = []
    for response, given in zip(responses, extra, strict=True):
        if given is None or response.survey_id != survey.pk:
            continue
        for question_id, raw in given.items():
            question = asked.get(question_id)
            if question is None:
                continue
            try:
                value = answer_clean(question, raw, question_id)
            except QuestionsError:  # a project's own edit of the question: skip it
                continue
            wording = {c["id"]: c["text"] for c in question.get("choices") or []}
            rows.append(
                Answer(
                    response_id=response.pk,
                    survey_id=survey.pk,
                    question=question_id,
                    version=survey.version,
                    type=question["type"],
                    text=question["text"],
                    value=value,
                    labels={c: wording[c] for c in value.get("choices") or [] if c in wording},
                    created_at=response.created_at,
                    updated_at=response.updated_at,
                )
            )
    return rows
