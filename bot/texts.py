"""What casebot says in more than one place of an event: the command list."""

from flows.i18n import N_, _

HELP = _(
    "Commands: /newcase opens a support case · /cases lists your cases · /case NUMBER shows "
    "one · /reply NUMBER TEXT adds to a case · /profiles manages product profiles · "
    "/myprofile sets your name and default CC list · /checkurl URL… checks URL ratings · "
    "/reclassify URL… requests a new URL classification · /back "
    "goes to the previous question · /cancel discards the current request · /language "
    "chooses the language · /help shows this."
)

# the case statuses a customer sees (/cases), as words to translate; the stored value stays
STATUS_WORDS = (N_("open"), N_("in progress"), N_("waiting for customer"),
                N_("customer replied"), N_("resolved"), N_("closed"))
