"""The comment bank of the demo seed: themed sentences and how to compose them into comments.

Comments are built from parts (opener, themed praise/complaint/suggestion sentences, connector,
closer, slot fillers, light roughening) so the bank yields thousands of distinct comments whose
themes are recognizable by the words in ``THEME_KEYWORDS``: theme discovery and tagging have
something real to find. Every themed sentence contains at least one keyword of its theme (a test
holds the bank to that). Pure data and pure functions of a ``random.Random``: no Django.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from typing import Literal

Tone = Literal["praise", "mixed", "complaint", "suggestion"]
Event = Literal["pricing_change", "outage"]

THEME_LABELS: dict[str, str] = {
    "pricing": "Pricing",
    "billing": "Billing",
    "support": "Support",
    "performance": "Speed",
    "reliability": "Bugs & reliability",
    "onboarding": "Onboarding",
    "usability": "Ease of use",
    "integrations": "Integrations",
    "slack": "Slack",
    "sso": "SSO & security",
    "api": "API",
    "reporting": "Reports & dashboards",
    "export": "Export",
    "mobile": "Mobile app",
    "documentation": "Documentation",
    "account_management": "Customer success",
    "missing_features": "Missing features",
}
THEMES: tuple[str, ...] = tuple(THEME_LABELS)

# Regex fragments matched case-insensitively at the start of a word (English, French, German,
# Spanish). A fragment matches a word prefix ("pric" matches price, pricing, pricey) unless it
# ends in \b.
# fmt: off
THEME_KEYWORDS: dict[str, tuple[str, ...]] = {
    "pricing": (
        r"pric", r"overpriced", r"expensive", r"cost", r"cheap", r"afford", r"money",
        r"per[- ]seat", r"tier", r"paying\b", r"worth every", r"discount",
        r"prix", r"cher\b", r"tarif", r"preis", r"teuer", r"kosten", r"precio", r"caro\b",
    ),
    "billing": (
        r"billing", r"billed", r"invoice", r"charged?\b", r"refund", r"credit card", r"VAT\b",
        r"renewal", r"payment", r"PO number", r"bank transfer",
        r"factur", r"rechnung", r"abrechnung", r"cobro",
    ),
    "support": (
        r"support", r"ticket", r"customer service", r"live chat", r"helpdesk",
        r"got back to me", r"service client", r"kundenservice", r"kundendienst", r"soporte",
        r"atención al cliente",
    ),
    "performance": (
        r"slow", r"speed", r"fast", r"snappy", r"lag", r"load", r"performance", r"sluggish",
        r"takes forever", r"instant", r"lightning", r"caching",
        r"lent\b", r"lenteur", r"rapide", r"charger", r"langsam", r"schnell", r"ladezeit",
        r"lent[ao]\b", r"rápid", r"cargar",
    ),
    "reliability": (
        r"bugs?\b", r"buggy", r"crash", r"broken", r"error", r"glitch", r"outage", r"downtime",
        r"went down", r"was down", r"stab", r"reliab", r"uptime", r"fails?\b", r"failing",
        r"incident", r"disappeared", r"unreliable", r"rock solid", r"just works",
        r"plant", r"panne", r"fiab", r"absturz", r"abstürz", r"fehler", r"ausfall",
        r"zuverlässig", r"estable", r"falla", r"fallo", r"se cuelga", r"errores", r"caída",
    ),
    "onboarding": (
        r"onboarding", r"setup", r"set up", r"getting started", r"get started", r"first week",
        r"learning curve", r"migrat", r"trial", r"up and running", r"kickoff",
        r"prise en main", r"mise en place", r"einrichtung", r"einarbeitung", r"puesta en marcha",
    ),
    "usability": (
        r"easy", r"easier", r"intuitive", r"interface", r"UI\b", r"design", r"clutter",
        r"confus", r"navigat", r"clicks?\b", r"user-friendly", r"layout", r"clunky", r"font",
        r"contrast", r"simpler",
        r"intuiti", r"facile", r"ergonom", r"oberfläche", r"intuitiv", r"bedien",
        r"übersichtlich", r"unübersichtlich", r"interfaz", r"fácil", r"clics",
    ),
    "integrations": (
        r"integrat", r"salesforce", r"hubspot", r"jira", r"zendesk", r"intercom", r"zapier",
        r"google sheets", r"notion", r"microsoft teams", r"segment", r"pipedrive", r"asana",
        r"connector", r"two-way sync",
        r"intégration", r"schnittstelle", r"integración",
    ),
    "slack": (r"slack",),
    "sso": (
        r"SSO\b", r"single sign-on", r"SAML", r"okta", r"azure ad", r"SCIM", r"log(?:ged)? ?in",
        r"logs? me out", r"logged out", r"permissions", r"roles?\b", r"two-factor", r"security",
        r"audit log",
    ),
    "api": (
        r"API", r"endpoints?", r"rate limits?", r"SDKs?", r"webhooks?", r"graphql", r"REST\b",
        r"pagination",
    ),
    "reporting": (
        r"report", r"dashboard", r"charts?\b", r"graphs?\b", r"analytics", r"insights",
        r"metrics", r"KPIs?", r"widgets?",
        r"rapport", r"tableaux? de bord", r"graphique", r"bericht", r"auswertung", r"informe",
        r"panel", r"gráfic",
    ),
    "export": (r"export", r"CSV", r"excel", r"spreadsheet", r"PDF", r"columns"),
    "mobile": (
        r"mobile", r"iOS", r"iphone", r"ipad", r"android", r"phone", r"tablet", r"on the go",
        r"push notifications", r"offline mode",
        r"téléphone", r"handy", r"mobil", r"móvil", r"celular",
    ),
    "documentation": (
        r"documentation", r"docs\b", r"documented", r"help center", r"help article",
        r"knowledge base", r"guides?\b", r"examples", r"release notes", r"screenshots",
        r"dokumentation", r"anleitung", r"documentación", r"guía",
    ),
    "account_management": (
        r"account manager", r"customer success", r"CSM", r"success manager", r"business review",
        r"check-ins?", r"checks in", r"escalation",
        r"chargée? de compte", r"kundenbetreuer", r"gestor de cuenta",
    ),
    "missing_features": (
        r"missing", r"lacks?\b", r"lacking", r"wish", r"features?\b", r"roadmap", r"please add",
        r"would love to see", r"still no", r"no sign",
        r"manque", r"fonctionnalit", r"fehlt", r"fehlen", r"funktion", r"falta", r"funci",
    ),
}
# fmt: on

_KEYWORD_PATTERNS: dict[str, re.Pattern[str]] = {
    theme: re.compile(r"\b(?:" + "|".join(fragments) + ")", re.IGNORECASE)
    for theme, fragments in THEME_KEYWORDS.items()
}


def themes_in(text: str) -> set[str]:
    """Return the themes whose keywords occur in ``text``."""
    return {theme for theme, pattern in _KEYWORD_PATTERNS.items() if pattern.search(text)}


# Slot fillers: "{name}" in a sentence is replaced by a random entry of SLOTS[name].
# fmt: off
SLOTS: dict[str, tuple[str, ...]] = {
    "team": (
        "my team", "our team", "the whole team", "our sales team", "our support team",
        "the ops team", "our engineers", "the marketing team", "our analysts",
        "the finance team", "our managers",
    ),
    "period": (
        "two weeks", "a month", "three days", "over a week", "six weeks", "two months",
        "almost three weeks", "ten days",
    ),
    "hours": (
        "hours", "half a day", "a whole afternoon", "two hours", "most of a morning",
        "a few hours", "a full day",
    ),
    "often": (
        "every day", "daily", "every morning", "several times a day", "all day long",
        "every week", "constantly",
    ),
    "pct": ("20%", "25%", "30%", "40%", "50%", "60%"),
    "seconds": (
        "10 seconds", "15 seconds", "20 seconds", "30 seconds", "almost a minute",
        "20+ seconds", "a good 8 seconds",
    ),
    "report": (
        "the weekly report", "the revenue dashboard", "the funnel report", "the churn report",
        "the monthly summary report", "the team dashboard", "the pipeline report",
    ),
    "page": (
        "the dashboard", "the settings page", "the reports page", "the inbox", "the project list",
        "the search page", "the contacts page", "the timeline view",
    ),
    "tool": (
        "Salesforce", "HubSpot", "Jira", "Zendesk", "Intercom", "Google Sheets", "Notion",
        "Microsoft Teams", "Segment", "Pipedrive", "Asana",
    ),
    "idp": ("Okta", "Azure AD", "Google Workspace", "OneLogin", "JumpCloud"),
    "feature_req": (
        "dark mode", "bulk editing", "custom fields", "recurring tasks", "an offline mode",
        "keyboard shortcuts", "a Gantt view", "multi-currency support", "a calendar view",
        "reusable templates", "time tracking", "an approval workflow", "sub-tasks",
        "a kanban board", "saved filters", "granular notifications",
    ),
    "agent": ("Alex", "Maria", "Sam", "Dan", "Chloe", "Ravi", "Lena", "Jonas", "Aisha", "Tom"),
    "am": ("Sarah", "Tom", "Priya", "Marco", "Julia", "Kenji", "Fatima", "Ben"),
    "weekday": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
}
# fmt: on

# theme -> tone -> sentences (English).
BANK: dict[str, dict[str, tuple[str, ...]]] = {
    "pricing": {
        "praise": (
            "Good value for money compared to everything else we evaluated.",
            "The pricing is fair for what you get.",
            "Worth every penny, it saves {team} {hours} each week.",
            "Honestly the best value for money in this category.",
            "The Starter plan is affordable for a small team like ours.",
            "Pricing is transparent, no surprises.",
            "For the price, nothing else comes close.",
            "Cheaper than the tool we replaced and it does a lot more.",
            "The free tier is generous enough to get real value before paying.",
            "We pay less per seat than before and get more features.",
            "The cost is easy to justify given how much time it saves.",
            "The annual discount made the decision easy.",
            "Pricing scales sensibly as we grow.",
            "For a tool we use {often}, the cost is a no-brainer.",
        ),
        "complaint": (
            "Way too expensive for a team of our size.",
            "The price went up {pct} at renewal and nobody warned us.",
            "Per-seat pricing punishes us for growing the team.",
            "It's getting hard to justify the cost to finance.",
            "Too pricey for what it does, honestly.",
            "The features we actually need are locked behind the Enterprise tier.",
            "The free plan is too limited to be useful and the next tier is expensive.",
            "We're paying for seats that {team} barely uses.",
            "Competitors offer the same for half the price.",
            "Charging extra for SSO is a money grab.",
            "Not worth the money at the moment.",
            "The cost keeps going up while the product stays the same.",
            "Pricing is confusing, I never know what we'll pay next month.",
            "The jump from Starter to Pro pricing is far too steep.",
            "We had to drop seats because of the cost.",
            "Hidden costs everywhere: extra for SSO, extra for the API, extra for exports.",
            "Hard to get budget approved at this price.",
            "The price per seat makes no sense for people who log in once a month.",
        ),
        "suggestion": (
            "A cheaper plan for small teams would help a lot.",
            "Please offer annual pricing with a real discount.",
            "Consider a startup or non-profit discount.",
            "Usage-based pricing would make more sense for us than per-seat.",
            "Only charge per seat for active users, please.",
            "A middle tier between Starter and Pro would be perfect.",
            "Show the price of each add-on before we upgrade.",
            "Let small teams pay monthly without a big price premium.",
        ),
    },
    "billing": {
        "praise": (
            "Billing is straightforward and invoices arrive on time.",
            "Switching plans was painless and the invoice was right the first time.",
            "Love that I can download every invoice myself.",
            "The refund for our unused seats came through within days.",
            "Paying by credit card or by invoice both work, which finance appreciates.",
            "Invoices include everything our accountants need.",
            "Billing questions were answered within the hour.",
        ),
        "complaint": (
            "We were charged twice this month and it took {period} to get a refund.",
            "Invoices don't show our VAT number, so finance has to chase them every month.",
            "Got billed for seats we had already removed.",
            "The auto-renewal charge surprised us, there was no reminder.",
            "Changing the credit card on file is weirdly hard.",
            "Our invoice doesn't match the plan we picked.",
            "It took {period} and five e-mails to fix a wrong charge on our billing.",
            "The billing page shows a different amount than the invoice.",
            "The renewal invoice went to someone who left the company months ago.",
            "We got charged for the annual plan when we asked for monthly billing.",
            "Still waiting on a refund from {period} ago.",
            "Our credit card was charged before the trial even ended.",
        ),
        "suggestion": (
            "Please let us pay by bank transfer instead of credit card.",
            "Add a billing contact separate from the admin so invoices go to finance.",
            "A reminder before the annual renewal would be appreciated.",
            "Let us add a PO number to invoices.",
            "Please send invoices to multiple e-mail addresses.",
            "Prorate the charge when we add seats mid-month.",
        ),
    },
    "support": {
        "praise": (
            "Support is amazing, {agent} solved my problem in minutes.",
            "The support team always gets back to me the same day.",
            "Best customer service I've had from a software company.",
            "{agent} from support went above and beyond to help us.",
            "Every ticket I've opened was handled promptly and politely.",
            "Live chat support is genuinely helpful, not just canned answers.",
            "Support actually understands the product and doesn't just send links.",
            "Whenever something goes wrong, support is on it right away.",
            "Really friendly support team, they even followed up a week later.",
            "Your support people are the best part of the product.",
            "I opened a ticket on a Sunday and got an answer within an hour.",
            "Support fixed our data import issue over a call with {team}.",
            "The support team clearly cares, they follow up until it's solved.",
        ),
        "complaint": (
            "Support takes days to answer a simple ticket.",
            "My ticket has been open for {period} without a real answer.",
            "Support keeps sending me links instead of reading my question.",
            "The support agent closed my ticket without fixing anything.",
            "No phone support, even on our plan, is hard to accept.",
            "Getting a human on live chat is nearly impossible.",
            "Customer service was polite but useless.",
            "I had to explain the same issue to three different people in support.",
            "Support response times have gotten a lot worse lately.",
            "Support told me it was a known issue and then nothing happened for {period}.",
            "Support answers with copy-pasted templates that don't address the question.",
            "We pay for premium support and still wait days for a reply.",
            "The support chat bot is useless and there's no way to reach a person.",
            "Support escalated my ticket and then it went silent.",
        ),
        "suggestion": (
            "Please offer support in European business hours.",
            "A status page linked from the support widget would save everyone time.",
            "Phone support for urgent issues would be worth a lot to us.",
            "Let us see the status of our support tickets inside the app.",
            "Please add a support phone line for admins.",
            "Let us attach screenshots to support tickets from the app.",
        ),
    },
    "performance": {
        "praise": (
            "It's fast, even with thousands of records.",
            "Pages load instantly, which matters when you're in it {often}.",
            "Speed is excellent since the last update.",
            "Really snappy compared to the tool we used before.",
            "Search is lightning fast.",
            "Performance has been great even on our largest projects.",
            "The new editor is so much faster.",
            "Even the big reports load fast now.",
            "Faster than any other tool in our stack.",
            "No lag at all, even on my old laptop.",
        ),
        "complaint": (
            "The app is painfully slow when loading large projects.",
            "{page} takes {seconds} to load.",
            "Everything feels sluggish since the last release.",
            "Performance degrades badly once you have more than a few thousand records.",
            "Search is slow and often times out.",
            "It lags so much on my laptop that I avoid opening it.",
            "The slowness is killing our productivity.",
            "Loading {report} takes forever.",
            "Why is it so slow to open a single record? {seconds} every time.",
            "It used to be fast, now every click loads for ages.",
            "Typing in the editor lags behind my keyboard.",
            "Saving is slow: it takes {seconds} and sometimes spins forever.",
            "Uploads are slow even on our office fiber.",
            "The page freezes for a few seconds every time I load {page}.",
        ),
        "suggestion": (
            "Please make {page} load faster, it's the page we use most.",
            "Speed should be the top priority for the next release.",
            "Caching {report} would make a big difference.",
            "Improve performance on big accounts before adding new things.",
            "A lighter, faster view for big projects would help.",
            "Load the list first and the details later so pages feel faster.",
        ),
    },
    "reliability": {
        "praise": (
            "Rock solid, we haven't had a single outage this year.",
            "Very stable, I can't remember the last time it crashed.",
            "Reliable, which is the main thing we need.",
            "Bugs get fixed quickly when we report them.",
            "Uptime has been excellent.",
            "It just works, no bugs, no drama.",
            "In two years we've had maybe one short outage.",
            "It's stable enough that we stopped worrying about it.",
            "Reliable sync between devices, finally.",
        ),
        "complaint": (
            "Too many bugs, something breaks with every release.",
            "It crashed twice today and I lost my changes.",
            "We keep getting error messages when saving.",
            "Sync is broken again and nobody on {team} noticed for a day.",
            "The app went down during our busiest week.",
            "Random glitches make it hard to trust the data.",
            "The same bug I reported {period} ago is still there.",
            "Half the time the import fails with an unhelpful error.",
            "Downtime during business hours is not acceptable for a tool we rely on.",
            "Data disappeared after an update, which is scary.",
            "Notifications are unreliable, some arrive and some don't.",
            "Buggy. Please stabilize before shipping new stuff.",
            "Every other week there's a new bug in something that used to work.",
            "Filters randomly reset, which looks like a bug nobody fixes.",
            "We lost a morning of work to an error that support couldn't explain.",
            "The app crashes whenever I open large attachments.",
            "Automations silently fail and nobody gets told.",
        ),
        "suggestion": (
            "Please spend a release or two just fixing bugs.",
            "A public status page would help when there's an outage.",
            "Better error messages would let us fix problems ourselves.",
            "Test releases more before shipping, stability matters more than new things.",
            "Tell us when something fails instead of failing silently.",
            "Please publish incident reports after outages.",
        ),
    },
    "onboarding": {
        "praise": (
            "Onboarding was smooth, we were up and running in a day.",
            "Setup took less than an hour.",
            "The getting started checklist made the first week easy.",
            "Great onboarding call, our trainer knew exactly what we needed.",
            "Migrating from our old tool was painless thanks to the import wizard.",
            "The trial gave us everything we needed to decide.",
            "The onboarding e-mails were actually helpful.",
            "Our new hires are up and running on day one.",
            "The setup wizard imported everything from our spreadsheets.",
        ),
        "complaint": (
            "The learning curve is steep for new team members.",
            "Setup was confusing and took {period}.",
            "Onboarding new colleagues takes way too long.",
            "Migrating our data from the old tool was a nightmare.",
            "The trial is too short to really evaluate it.",
            "Nobody explained how to set up the workspace properly, so we had to redo it.",
            "Getting started is overwhelming, too many options on day one.",
            "The onboarding videos are outdated and show the old interface.",
            "Setup requires an admin for every little thing.",
            "We had no onboarding at all, just a login link.",
            "Migrating history from our old system took {period}.",
        ),
        "suggestion": (
            "An onboarding checklist for new users would help.",
            "Short videos for the setup would save a lot of time.",
            "Please offer a guided onboarding session for teams our size.",
            "A sample project during the trial would help people get started.",
            "Offer onboarding templates for common team setups.",
            "Let us invite the whole team during setup, not after.",
        ),
    },
    "usability": {
        "praise": (
            "Super easy to use, {team} picked it up without training.",
            "The interface is clean and intuitive.",
            "Beautiful design, it's a pleasure to use {often}.",
            "Navigation makes sense, everything is where you'd expect it.",
            "So much more user-friendly than what we had.",
            "Intuitive enough that I never needed the manual.",
            "The new UI is a big improvement.",
            "Easy to use and easy to explain to others.",
            "Simple, clean and easy, exactly what we wanted.",
            "My least technical colleagues find it easy to use.",
            "The design is thoughtful, small details make a difference.",
        ),
        "complaint": (
            "The interface is cluttered and confusing.",
            "Too many clicks to do simple things.",
            "I can never find the settings I need, the navigation is a maze.",
            "The new UI is worse than the old one.",
            "Confusing menus, I still get lost after months.",
            "Not intuitive at all, everyone on {team} struggles with it.",
            "The layout wastes a lot of space on my screen.",
            "The font is tiny and the contrast is poor, hard to read all day.",
            "Drag and drop is clunky and often does the wrong thing.",
            "Important buttons are hidden behind three-dot menus, very confusing.",
            "The UI changes every month and I have to relearn where things are.",
            "Too many clicks to share anything with a colleague.",
            "Icons without labels make the interface hard to understand.",
        ),
        "suggestion": (
            "Keyboard navigation would make it much easier for power users.",
            "A simpler interface for occasional users would help.",
            "Please let us customize the navigation menu.",
            "Fewer clicks for common actions, please.",
            "Make the font size adjustable.",
            "A compact layout option would help on small screens.",
            "Remember my last view so I don't navigate back every time.",
        ),
    },
    "integrations": {
        "praise": (
            "The {tool} integration works perfectly.",
            "Love how well it integrates with {tool}.",
            "Integrations are the reason we chose it, the {tool} sync just works.",
            "Setting up the {tool} integration took five minutes.",
            "The Zapier integration lets us automate everything.",
            "The {tool} integration saves {team} {hours} every week.",
            "Integrations with our whole stack work out of the box.",
        ),
        "complaint": (
            "The {tool} integration keeps disconnecting.",
            "The {tool} integration only syncs one way, which makes it half useful.",
            "No native integration with {tool} is a deal breaker for us.",
            "The {tool} integration duplicates records every time it syncs.",
            "Integrations feel like an afterthought.",
            "We had to build our own connector to {tool}.",
            "Fields don't map correctly in the {tool} integration.",
            "The {tool} integration breaks every time they change their API.",
            "Half the integrations listed are really just Zapier.",
        ),
        "suggestion": (
            "Please add a native {tool} integration.",
            "Two-way sync with {tool} would be a game changer.",
            "More integrations please, especially {tool}.",
            "Let us pick which fields the {tool} integration syncs.",
            "An integration log would help us debug sync issues.",
        ),
    },
    "slack": {
        "praise": (
            "The Slack integration is fantastic, {team} gets every update in the right channel.",
            "Slack notifications are exactly what we needed.",
            "Love the Slack alerts, nothing slips through anymore.",
            "Being able to reply from Slack saves me a lot of time.",
            "Slack alerts for new items keep {team} on top of things.",
            "The Slack app is simple and does exactly what it says.",
        ),
        "complaint": (
            "Slack notifications are way too noisy.",
            "The Slack integration stopped posting to our channel and we noticed days later.",
            "I can't choose which Slack channel gets which alerts.",
            "Slack messages leave out the important details, so I still have to open the app.",
            "The Slack app asks for far too many permissions.",
            "Slack links open the wrong page in the app.",
            "We get duplicate Slack notifications for the same event.",
        ),
        "suggestion": (
            "Please let us route Slack notifications to different channels.",
            "A daily Slack digest instead of one message per event would be nicer.",
            "Let us mute Slack alerts for low-priority items.",
            "Please add Slack threads so replies stay together.",
            "Let each user choose their own Slack notifications.",
        ),
    },
    "sso": {
        "praise": (
            "SSO with {idp} was easy to set up.",
            "Single sign-on and SCIM provisioning made IT very happy.",
            "Role-based permissions are granular enough for our security team.",
            "The audit log got us through our security review without any issue.",
            "Login with {idp} just works.",
            "Our security team approved it quickly thanks to SSO and audit logs.",
        ),
        "complaint": (
            "SSO is only available on Enterprise, which is ridiculous these days.",
            "The SAML setup with {idp} keeps failing.",
            "Permissions are too coarse, I can't restrict who sees what.",
            "Sessions expire constantly, I log in five times a day.",
            "Without SCIM we have to remove leavers by hand.",
            "Our security team flagged the lack of an audit log.",
            "Two-factor authentication still can't be enforced for the whole team.",
            "Every time IT rotates certificates, SSO breaks for everyone.",
            "I get logged out every time I switch devices.",
            "Guests get the same permissions as employees, that's a security problem.",
        ),
        "suggestion": (
            "Please add SSO with {idp} to the Pro plan.",
            "Custom roles with finer permissions would help a lot.",
            "Please support SCIM provisioning.",
            "Let admins enforce two-factor authentication.",
            "Please allow SSO on the Starter plan too.",
            "Let us map {idp} groups to roles.",
        ),
    },
    "api": {
        "praise": (
            "The API is well designed and a joy to work with.",
            "We built our whole data pipeline on the API and it works great.",
            "Webhooks arrive within seconds and are easy to consume.",
            "The REST API makes automation trivial.",
            "Clean API, sensible rate limits, good SDKs.",
            "The API docs are clear and the endpoints behave as documented.",
            "Our developers love the API, they had the sync running in a day.",
        ),
        "complaint": (
            "The API rate limits are way too low for our volume.",
            "The API is missing endpoints for half the things we need.",
            "Webhooks sometimes arrive twice or not at all.",
            "An API change without notice took down our internal tooling.",
            "The API returns 500 errors under load.",
            "API pagination is inconsistent between endpoints.",
            "API tokens can't be scoped, so every script has full access.",
            "The API is slow, bulk updates take ages.",
            "No webhooks for deletions, so our data drifts out of sync.",
        ),
        "suggestion": (
            "Please add a bulk endpoint to the API.",
            "A GraphQL API would make our life easier.",
            "An official Python SDK would be appreciated.",
            "Please version the API so changes don't break us.",
            "Please add webhooks for every event type.",
            "Scoped API tokens would make our security team happy.",
        ),
    },
    "reporting": {
        "praise": (
            "The dashboards give me exactly the insights I need.",
            "Reporting is excellent, our execs love the weekly summary.",
            "Custom dashboards let every team see their own metrics.",
            "Charts are clear and easy to share.",
            "{report} is the first thing I open every morning.",
            "The analytics finally show us where customers drop off.",
            "The reports answer questions we couldn't answer before.",
            "I love being able to drill down from the dashboard into the details.",
            "Our board deck now comes straight from the dashboards.",
        ),
        "complaint": (
            "Reporting is too basic for what we need.",
            "We can't build custom dashboards and the defaults don't fit our KPIs.",
            "The numbers in {report} don't match what we see elsewhere.",
            "Charts can't be filtered by date range properly.",
            "Dashboards are slow and often show stale data.",
            "There's no way to schedule a report for my boss.",
            "The dashboard widgets are limited and not configurable.",
            "I can't compare this quarter with last quarter in any report.",
            "The dashboard shows totals but no trends.",
            "Reports round numbers in ways that confuse finance.",
            "Building a simple chart takes way too many steps.",
        ),
        "suggestion": (
            "Please add custom dashboards with drag-and-drop widgets.",
            "Let us schedule reports by e-mail.",
            "Filters by team and date on every chart, please.",
            "Sharing a dashboard with a public link would be great.",
            "Let us compare periods on every report.",
            "Please add annotations to charts so we can mark launches.",
        ),
    },
    "export": {
        "praise": (
            "Export to CSV works great for our monthly numbers.",
            "Love that I can export everything to Excel in one click.",
            "The PDF export looks professional enough to send to clients.",
            "The CSV export is clean and imports straight into our BI tool.",
            "Exporting a filtered view is quick and reliable.",
        ),
        "complaint": (
            "Export to CSV is broken for large datasets.",
            "The CSV export drops columns and messes up the dates.",
            "I can't export filtered data, only everything at once.",
            "The Excel export mangles special characters.",
            "Exports time out once you have more than a few thousand rows.",
            "The export button is hidden and the CSV uses semicolons.",
            "The PDF export cuts off wide tables.",
            "There's no way to export comments together with the data.",
        ),
        "suggestion": (
            "Please add scheduled CSV exports.",
            "An export to a spreadsheet in Google Drive would save me hours every week.",
            "Let us choose which columns go into the CSV.",
            "Export to Excel with formatting, please.",
            "Please let us export to Excel with one sheet per tab.",
            "An API endpoint for exports would replace our manual CSV downloads.",
        ),
    },
    "mobile": {
        "praise": (
            "The mobile app is great for checking things on the go.",
            "The iOS app is fast and well designed.",
            "Being able to approve things from my phone is a lifesaver.",
            "The Android app has gotten much better recently.",
            "The mobile app lets me answer quickly between meetings.",
            "The iPhone app is honestly better than the web version.",
            "Notifications on my phone are timely and useful.",
        ),
        "complaint": (
            "The mobile app crashes constantly on Android.",
            "The iOS app is missing half of what the web version can do.",
            "The mobile app logs me out every day.",
            "Impossible to use on a phone, the layout breaks.",
            "Push notifications on the mobile app never arrive.",
            "The iPad version is just a stretched phone app.",
            "The Android app drains my battery.",
            "The mobile app is months behind the web version.",
            "Can't upload files from my phone.",
            "The iOS app freezes when I switch accounts.",
        ),
        "suggestion": (
            "Please add an offline mode to the mobile app.",
            "A proper tablet layout would be nice.",
            "Let us edit records from the mobile app, not only view them.",
            "Please add widgets to the iOS app.",
            "Dark mode in the mobile app would be great.",
        ),
    },
    "documentation": {
        "praise": (
            "The documentation is excellent, with real examples.",
            "The help center answered every question I had.",
            "The docs are clear and up to date.",
            "The guides for admins are really well written.",
            "The docs answered my question faster than support could have.",
            "Release notes are detailed and easy to follow.",
            "Great help articles with screenshots for every step.",
        ),
        "complaint": (
            "The documentation is outdated and the screenshots don't match the app.",
            "The docs are thin on anything beyond the basics.",
            "I couldn't find anything useful in the help center.",
            "The code examples in the docs don't even run.",
            "Release notes are vague, we never know what changed.",
            "The help center search never finds the right article.",
            "Half the documentation links are broken.",
            "The docs assume you already know how everything works.",
        ),
        "suggestion": (
            "More examples in the docs would help.",
            "Please keep the documentation in sync with releases.",
            "A searchable knowledge base with video guides would be great.",
            "Add a getting-started guide for admins to the docs.",
            "Please date the help articles so we know if they're current.",
        ),
    },
    "account_management": {
        "praise": (
            "Our account manager {am} is fantastic and really understands our business.",
            "Customer success checks in regularly and always has good ideas.",
            "The quarterly business reviews with our CSM are genuinely useful.",
            "{am}, our customer success manager, helped us roll it out to the whole company.",
            "Our CSM organised training for the whole team.",
            "Our account manager {am} always knows what's coming next on the roadmap.",
            "Customer success helped us clean up our setup.",
        ),
        "complaint": (
            "We've had three different account managers this year.",
            "Our account manager only gets in touch when it's time to renew.",
            "Customer success never followed up after our kickoff.",
            "Nobody from customer success answered our escalation.",
            "Our account manager changed again and nobody told us.",
            "Customer success keeps pushing upsells instead of helping.",
            "Our CSM cancelled our business review twice.",
        ),
        "suggestion": (
            "A dedicated customer success contact for mid-size accounts would help.",
            "Regular check-ins from our account manager would be welcome.",
            "A quarterly business review would help us get more out of it.",
            "Please introduce the new account manager properly next time.",
        ),
    },
    "missing_features": {
        "praise": (
            "New features keep coming and they're actually useful.",
            "The roadmap is public and the feature we asked for shipped last month.",
            "Feature-wise it has everything we need.",
            "Love how quickly you ship the features customers ask for.",
            "The roadmap updates make us confident in the product.",
        ),
        "complaint": (
            "It's missing {feature_req}, which every competitor has.",
            "Still no {feature_req} after {period} of asking.",
            "The feature requests we submit seem to go nowhere.",
            "It lacks basic things like {feature_req}.",
            "We need {feature_req} and there's no sign of it on the roadmap.",
            "Basic features like {feature_req} have been on the roadmap forever.",
            "We're missing {feature_req} every single day.",
            "It still lacks {feature_req}, so we're looking at other tools.",
        ),
        "suggestion": (
            "Please add {feature_req}.",
            "Would love to see {feature_req} on the roadmap.",
            "The one missing feature for us is {feature_req}.",
            "I wish it had {feature_req}.",
            "Please add {feature_req} before anything else.",
            "A public roadmap with voting on features would be great.",
        ),
    },
}

# Complaints about the seed's dip period, by event, and the theme each one belongs to.
EVENT_THEMES: dict[str, str] = {"pricing_change": "pricing", "outage": "reliability"}
EVENT_COMPLAINTS: dict[str, tuple[str, ...]] = {
    "pricing_change": (
        "The new pricing is a {pct} increase for us with barely a month's notice.",
        "After the pricing change we pay much more for exactly the same features.",
        "The price increase came out of nowhere. We're looking at alternatives.",
        "Moving features to a more expensive plan after we signed up feels like bait and switch.",
        "Your pricing change blew our budget for the year.",
        "The new per-seat pricing doubles what we pay.",
    ),
    "outage": (
        "The outage last {weekday} wiped out a full day of work.",
        "Two outages in one week is not acceptable.",
        "During the incident we lost data and we still have no proper explanation.",
        "The app was down for hours and the status page said everything was fine.",
        "Since the big outage, {team} doesn't trust the data anymore.",
    ),
}

GENERIC: dict[str, tuple[str, ...]] = {
    "praise": (
        "Love it!",
        "Great product.",
        "Does exactly what we need.",
        "Can't imagine working without it now.",
        "Everyone on {team} uses it {often}.",
        "Solid product.",
        "It has made {team} much more productive.",
        "One of the few tools people here actually like.",
        "It keeps getting better.",
    ),
    "complaint": (
        "Not what we expected.",
        "Disappointed overall.",
        "We're seriously considering switching.",
        "It used to be better.",
        "The product feels abandoned lately.",
        "Not happy with the direction the product is taking.",
    ),
}

# fmt: off
SHORT: dict[str, tuple[str, ...]] = {
    "praise": (
        "Love it", "Great!", "awesome", "Excellent tool", "Very happy", "10/10",
        "Super useful", "Works great", "Great support!", "easy to use", "Fast and simple",
        "Love the dashboards", "Best tool we use", "great app", "Perfect.", "👍",
    ),
    "complaint": (
        "Too expensive", "too slow", "Buggy", "Meh", "Support never answers",
        "Crashes all the time", "Overpriced.", "Confusing UI", "Needs SSO", "Not worth it",
        "Slow.", "bugs bugs bugs", "Price!!", "The mobile app is useless",
    ),
    "mixed": (
        "OK", "It's fine", "Decent", "Good, but pricey", "Good but slow", "Does the job",
        "Could be better", "Fine for now", "Nice UI, slow reports", "ok i guess",
    ),
    "suggestion": (
        "Add dark mode pls", "Need a CSV export", "Please add SSO", "More integrations",
        "Faster please", "Slack integration please",
    ),
}
# fmt: on

OPENERS: dict[str, tuple[str, ...]] = {
    "praise": (
        "Honestly,",
        "Overall,",
        "Overall",
        "To be honest,",
        "In short:",
        "Simply put,",
        "So far,",
        "All in all,",
        "Really happy.",
        "Short version:",
    ),
    "complaint": (
        "Honestly,",
        "Frankly,",
        "To be honest,",
        "Sadly,",
        "Unfortunately,",
        "Overall",
        "Sorry, but",
        "I'll be blunt:",
    ),
    "mixed": ("Overall,", "Honestly,", "Mostly happy.", "Mixed feelings.", "On balance,"),
    "suggestion": ("Overall good.", "Small thing:", "One request:", "Honestly,", "Idea:"),
}

CLOSERS: dict[str, tuple[str, ...]] = {
    "praise": (
        "Thanks!",
        "Keep it up!",
        "Great job!",
        "Would recommend to anyone.",
        "Thank you, team.",
        "🙌",
        "Keep up the great work.",
    ),
    "complaint": (
        "Please fix this.",
        "Very frustrating.",
        "We're looking at alternatives.",
        "Not happy.",
        "Disappointed.",
        "Fix it please!",
        "Considering cancelling.",
    ),
    "mixed": ("Thanks.", "Otherwise happy.", "Keep improving!", "Otherwise a great product."),
    "suggestion": ("Thanks!", "Otherwise great.", "Keep it up."),
}

# Between praise and a complaint, and between a complaint and praise.
CONNECTORS: tuple[str, ...] = ("But", "However,", "That said,", "My only gripe:", "Only downside:")
CONNECTORS_BACK: tuple[str, ...] = ("That said,", "Still,", "To be fair,", "On the plus side,")

# French, German and Spanish comments from people with those locales: language -> theme ->
# tone -> sentences, a smaller bank over the most common themes.
FOREIGN: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    "fr": {
        "pricing": {
            "praise": (
                "Bon rapport qualité-prix.",
                "Le prix est raisonnable pour tout ce qu'on obtient.",
            ),
            "complaint": (
                "Beaucoup trop cher pour une petite équipe.",
                "Le prix a augmenté de 30 % sans prévenir.",
                "Le nouveau tarif est difficile à justifier.",
            ),
        },
        "support": {
            "praise": (
                "Le support est très réactif et toujours aimable.",
                "Le service client a réglé mon problème en quelques minutes.",
            ),
            "complaint": (
                "Le support met des jours à répondre.",
                "Mon ticket est resté sans réponse pendant deux semaines.",
            ),
        },
        "performance": {
            "praise": (
                "L'application est rapide, même avec beaucoup de données.",
                "Très rapide depuis la dernière mise à jour.",
            ),
            "complaint": (
                "C'est lent, surtout les tableaux de bord.",
                "Les pages mettent une éternité à charger.",
                "Beaucoup de lenteurs depuis la dernière version.",
            ),
        },
        "reliability": {
            "praise": ("Très stable, aucun bug depuis des mois.", "Fiable au quotidien."),
            "complaint": (
                "Plein de bugs depuis la mise à jour.",
                "L'application plante plusieurs fois par jour.",
                "Encore une panne cette semaine, c'est inacceptable.",
            ),
        },
        "usability": {
            "praise": ("Interface claire et intuitive.", "Très facile à utiliser au quotidien."),
            "complaint": (
                "L'interface est confuse, on s'y perd.",
                "Trop de clics pour des choses simples.",
            ),
        },
        "reporting": {
            "praise": (
                "Les tableaux de bord sont très utiles pour nos réunions.",
                "Les rapports sont clairs et complets.",
            ),
            "complaint": (
                "Les rapports sont trop limités.",
                "Impossible de personnaliser les tableaux de bord.",
            ),
        },
        "mobile": {
            "praise": ("L'application mobile est pratique en déplacement.",),
            "complaint": (
                "L'application mobile plante sur Android.",
                "Sur téléphone, c'est inutilisable.",
            ),
        },
        "missing_features": {
            "praise": ("Les nouvelles fonctionnalités sont vraiment utiles.",),
            "complaint": (
                "Il manque encore le mode sombre.",
                "Il manque des fonctionnalités de base comme l'export Excel.",
            ),
        },
    },
    "de": {
        "pricing": {
            "praise": (
                "Gutes Preis-Leistungs-Verhältnis.",
                "Der Preis ist fair für das, was man bekommt.",
            ),
            "complaint": (
                "Viel zu teuer für ein kleines Team.",
                "Die Preiserhöhung kam ohne Vorwarnung.",
                "Die Kosten steigen jedes Jahr.",
            ),
        },
        "support": {
            "praise": (
                "Der Support ist schnell und sehr freundlich.",
                "Der Kundenservice hat mein Problem sofort gelöst.",
            ),
            "complaint": (
                "Der Support antwortet erst nach Tagen.",
                "Mein Ticket ist seit zwei Wochen offen.",
            ),
        },
        "performance": {
            "praise": (
                "Läuft schnell, auch mit vielen Daten.",
                "Seit dem letzten Update deutlich schneller.",
            ),
            "complaint": (
                "Die Ladezeiten sind viel zu lang.",
                "Die Anwendung ist sehr langsam geworden.",
            ),
        },
        "reliability": {
            "praise": ("Läuft stabil und zuverlässig.",),
            "complaint": (
                "Ständig Abstürze seit dem Update.",
                "Zu viele Fehler in der neuen Version.",
                "Schon wieder ein Ausfall diese Woche.",
            ),
        },
        "usability": {
            "praise": (
                "Die Oberfläche ist übersichtlich und intuitiv.",
                "Sehr einfach zu bedienen.",
            ),
            "complaint": ("Die Bedienung ist umständlich.", "Die Oberfläche ist unübersichtlich."),
        },
        "reporting": {
            "praise": (
                "Die Dashboards sind super für unsere Meetings.",
                "Die Berichte sind klar und hilfreich.",
            ),
            "complaint": (
                "Die Berichte sind zu unflexibel.",
                "Eigene Dashboards kann man nicht anlegen.",
            ),
        },
        "mobile": {
            "praise": ("Die mobile App ist praktisch für unterwegs.",),
            "complaint": (
                "Die App auf dem Handy stürzt ständig ab.",
                "Auf dem Tablet kaum nutzbar.",
            ),
        },
        "missing_features": {
            "praise": ("Die neuen Funktionen sind wirklich nützlich.",),
            "complaint": (
                "Es fehlt immer noch ein Dark Mode.",
                "Wichtige Funktionen fehlen, zum Beispiel SSO.",
            ),
        },
    },
    "es": {
        "pricing": {
            "praise": (
                "Buena relación calidad-precio.",
                "El precio es justo para lo que ofrece.",
            ),
            "complaint": (
                "Demasiado caro para un equipo pequeño.",
                "Subieron el precio sin avisar.",
            ),
        },
        "support": {
            "praise": (
                "El soporte es rápido y muy amable.",
                "La atención al cliente es excelente.",
            ),
            "complaint": (
                "El soporte tarda días en responder.",
                "Mi ticket lleva dos semanas abierto.",
            ),
        },
        "performance": {
            "praise": ("Funciona muy rápido, incluso con muchos datos.",),
            "complaint": (
                "La aplicación está muy lenta últimamente.",
                "Los paneles tardan mucho en cargar.",
            ),
        },
        "reliability": {
            "praise": ("Muy estable, casi nunca falla.",),
            "complaint": (
                "Se cuelga varias veces al día.",
                "Demasiados errores desde la última actualización.",
                "Otra caída del servicio esta semana.",
            ),
        },
        "usability": {
            "praise": ("La interfaz es intuitiva y fácil de usar.",),
            "complaint": ("La interfaz es confusa.", "Demasiados clics para tareas simples."),
        },
        "reporting": {
            "praise": ("Los informes son claros y útiles.",),
            "complaint": (
                "Los informes son muy básicos.",
                "No se pueden personalizar los paneles.",
            ),
        },
        "mobile": {
            "praise": ("La app móvil es muy práctica.",),
            "complaint": (
                "La aplicación móvil se cierra sola en Android.",
                "En el celular es difícil de usar.",
            ),
        },
        "missing_features": {
            "praise": ("Las nuevas funciones son muy útiles.",),
            "complaint": ("Falta el modo oscuro.", "Le faltan funciones básicas."),
        },
    },
}

FOREIGN_SHORT: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "praise": ("Super outil !", "Très bien", "Parfait", "Top"),
        "complaint": ("Trop cher", "Lent", "Décevant"),
        "mixed": ("Bof", "Correct", "Pas mal, mais peut mieux faire"),
    },
    "de": {
        "praise": ("Sehr gut", "Super!", "Top Tool"),
        "complaint": ("Zu teuer", "Zu langsam", "Enttäuschend"),
        "mixed": ("Geht so", "Passt", "Ganz okay"),
    },
    "es": {
        "praise": ("Excelente", "Muy útil", "Me encanta"),
        "complaint": ("Demasiado caro", "Lento", "Decepcionante"),
        "mixed": ("Regular", "Bien", "Está bien, nada más"),
    },
}

FOREIGN_CONNECTORS: dict[str, tuple[str, ...]] = {
    "fr": ("Mais", "Par contre,"),
    "de": ("Aber:", "Einziges Manko:"),
    "es": ("Pero", "Eso sí,"),
}
# German nouns keep their capital after a connector, so German connectors end in a colon.
_KEEPS_CAPITAL = {"de"}

_PROPER_WORDS = frozenset(
    {"I", "I'm", "I've", "I'd", "I'll", "SSO", "SAML", "SCIM", "API", "CSV", "PDF", "UI"}
    | {w for name in ("tool", "idp", "agent", "am", "weekday") for w in SLOTS[name]}
    | {"Slack", "Zapier", "Excel", "Android", "Starter", "Pro", "Enterprise"}
)

_MISSPELLINGS: tuple[tuple[str, str], ...] = (
    ("definitely", "definately"),
    ("receive", "recieve"),
    ("separate", "seperate"),
    ("the ", "teh "),
    ("really", "realy"),
    ("because", "becuase"),
    ("which", "wich"),
    ("doesn't", "doesnt"),
    ("don't", "dont"),
    ("it's", "its"),
)

_SLOT = re.compile(r"\{(\w+)\}")
_LENGTHS = (1, 2, 3)


def _fill(rng: random.Random, sentence: str) -> str:
    return _SLOT.sub(lambda m: rng.choice(SLOTS[m.group(1)]), sentence)


def _decap(sentence: str) -> str:
    """Lower the first letter so the sentence can follow a connector, unless it is a name."""
    first = sentence.split(" ", 1)[0].rstrip(",.:;!?")
    if first in _PROPER_WORDS or first.split("'", 1)[0] in _PROPER_WORDS:
        return sentence
    if len(first) > 1 and first[1].isupper():
        return sentence
    return sentence[:1].lower() + sentence[1:]


def _join_opener(opener: str, sentence: str) -> str:
    if opener.endswith((".", "!")):
        return f"{opener} {sentence}"
    return f"{opener} {_decap(sentence)}"


def _pick(rng: random.Random, pool: Sequence[str], used: set[str]) -> str:
    fresh = [s for s in pool if s not in used] or list(pool)
    choice = rng.choice(fresh)
    used.add(choice)
    return choice


def _english(
    rng: random.Random, tone: Tone, themes: Sequence[str], event: Event | None
) -> list[str]:
    primary = themes[0]
    secondary = themes[1] if len(themes) > 1 else None
    used: set[str] = set()
    parts: list[str] = []

    def themed(theme: str | None, kind: str) -> str:
        if theme is None:
            return _pick(rng, GENERIC["complaint" if kind == "complaint" else "praise"], used)
        return _pick(rng, BANK[theme][kind], used)

    if tone == "praise":
        n = rng.choices(_LENGTHS, weights=(45, 37, 18))[0]
        parts.append(themed(primary, "praise"))
        for _ in range(n - 1):
            theme = secondary if secondary and rng.random() < 0.7 else None
            parts.append(themed(theme if theme or rng.random() < 0.5 else primary, "praise"))
    elif tone == "complaint":
        n = rng.choices(_LENGTHS, weights=(40, 38, 22))[0]
        if event is not None:
            parts.append(_pick(rng, EVENT_COMPLAINTS[event], used))
        else:
            parts.append(themed(primary, "complaint"))
        for _ in range(n - 1):
            theme = secondary if secondary and rng.random() < 0.7 else primary
            parts.append(themed(theme if rng.random() < 0.85 else None, "complaint"))
        if rng.random() < 0.25:
            parts.append(themed(secondary or primary, "suggestion"))
    elif tone == "mixed":
        good = themed(secondary if secondary and rng.random() < 0.8 else None, "praise")
        if event is not None:
            bad = _pick(rng, EVENT_COMPLAINTS[event], used)
        else:
            bad = themed(primary, "complaint")
        if rng.random() < 0.7:
            parts += [good, f"{rng.choice(CONNECTORS)} {_decap(bad)}"]
        else:
            parts += [bad, f"{rng.choice(CONNECTORS_BACK)} {_decap(good)}"]
        if rng.random() < 0.3:
            parts.append(themed(primary, "suggestion"))
    else:
        if rng.random() < 0.4:
            parts.append(themed(secondary, "praise"))
        parts.append(themed(primary, "suggestion"))
        if secondary and rng.random() < 0.3:
            parts.append(themed(secondary, "suggestion"))
    return [_fill(rng, p) for p in parts]


def _foreign(rng: random.Random, language: str, tone: Tone, themes: Sequence[str]) -> list[str]:
    bank = FOREIGN[language]
    known = [t for t in themes if t in bank] or [rng.choice(sorted(bank))]
    primary = known[0]
    other = known[1] if len(known) > 1 else rng.choice(sorted(bank))
    if tone == "praise":
        parts = [rng.choice(bank[primary]["praise"])]
        if rng.random() < 0.35 and other != primary:
            parts.append(rng.choice(bank[other]["praise"]))
    elif tone == "complaint" or tone == "suggestion":
        parts = [rng.choice(bank[primary]["complaint"])]
        if rng.random() < 0.35 and other != primary:
            parts.append(rng.choice(bank[other]["complaint"]))
    else:
        good = rng.choice(bank[other]["praise"])
        bad = rng.choice(bank[primary]["complaint"])
        connector = rng.choice(FOREIGN_CONNECTORS[language])
        tail = bad if language in _KEEPS_CAPITAL else _decap(bad)
        parts = [good, f"{connector} {tail}"]
    return parts


def _roughen(rng: random.Random, text: str, tone: Tone) -> str:
    """Make a comment look typed by a person in a hurry, now and then."""
    roll = rng.random()
    if roll < 0.05:
        text = text.lower().rstrip(".")
    elif roll < 0.08:
        smiley = " :)" if tone == "praise" else " :("
        text = text.rstrip(".") + rng.choice(("!!", "!!!", smiley))
    if rng.random() < 0.04:
        for right, wrong in _MISSPELLINGS:
            if right in text:
                text = text.replace(right, wrong, 1)
                break
    if rng.random() < 0.03:
        words = text.split(" ")
        candidates = [
            i for i, w in enumerate(words) if len(w) > 5 and w.isalpha() and not themes_in(w)
        ]
        if candidates:
            i = rng.choice(candidates)
            w = words[i]
            j = rng.randrange(1, len(w) - 2)
            words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            text = " ".join(words)
    if rng.random() < 0.02:
        text = text.replace(". ", ".  ", 1)
    return text


def comment_compose(
    *,
    rng: random.Random,
    tone: Tone,
    themes: Sequence[str],
    language: str = "en",
    event: Event | None = None,
) -> str:
    """Compose one comment of ``tone`` about ``themes`` (the first one leads) in ``language``.

    ``language`` is "en" or a key of ``FOREIGN``; foreign comments use that smaller bank.
    ``event`` (a complaint or mixed comment written during the seed's dip) makes the complaint
    about that event, whose theme is ``EVENT_THEMES[event]``. Uses only ``rng`` for randomness.
    """
    if not themes:
        raise ValueError("themes must name at least one theme")
    if language in FOREIGN:
        if rng.random() < 0.2:
            pool = FOREIGN_SHORT[language]
            return rng.choice(pool.get(tone, pool["mixed"]))
        return " ".join(_foreign(rng, language, tone, themes))
    if rng.random() < 0.12 and event is None:
        return rng.choice(SHORT[tone])
    parts = _english(rng, tone, themes, event)
    if rng.random() < 0.18:
        parts[0] = _join_opener(rng.choice(OPENERS[tone]), parts[0])
    if rng.random() < 0.2:
        parts.append(rng.choice(CLOSERS[tone]))
    return _roughen(rng, " ".join(parts), tone)
