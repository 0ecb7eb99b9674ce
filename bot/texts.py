"""What casebot says in more than one place of an event: the command list."""

HELP = (
    "Commands: /newcase opens a support case · /cases lists your cases · /case NUMBER shows "
    "one · /reply NUMBER TEXT adds to a case · /profiles manages product profiles · "
    "/myprofile sets your name and default CC list · /checkurl URL… checks URL ratings · "
    "/reclassify URL… requests a new URL classification · /back "
    "goes to the previous question · /cancel discards the current request · /help shows this."
)
