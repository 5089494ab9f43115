"""Verification flows: compare fingerprints, SMP as initiator and as responder, the key-change
alarm. The dialogs are in screens/verify.py; this wires them to the service for `TimbApp`."""

from __future__ import annotations

from textual.notifications import SeverityLevel

from timb.common.secret import Secret
from timb.core.errors import ServiceError
from timb.core.events import KeyChanged, SmpFinished, SmpOutcome, TrustLevel
from timb.ui.tui.flows.host import FlowHost
from timb.ui.tui.screens.verify import (
    FingerprintDialog,
    KeyChangedScreen,
    SmpAnswerDialog,
    SmpRequest,
    SmpStartDialog,
)


def smp_outcome_words(event: SmpFinished) -> tuple[str, SeverityLevel]:
    """What to tell the user about a finished SMP exchange, and how loudly."""
    match event.outcome:
        case SmpOutcome.SUCCEEDED if event.verified:
            return f"verified: {event.contact} knew the secret", "information"
        case SmpOutcome.SUCCEEDED:
            # Answering their question proves us to them, not them to us (as libotr).
            return "you answered their question correctly (this does not verify them)", "information"
        case SmpOutcome.FAILED | SmpOutcome.CHEATED if event.unverified:
            why = "the answers differ" if event.outcome is SmpOutcome.FAILED else "it was tampered with"
            return (
                f"verification FAILED ({why}): {event.contact}'s key is NO LONGER VERIFIED."
                " Someone may be in the middle: check the fingerprint another way",
                "error",
            )
        case SmpOutcome.FAILED:
            return "verification FAILED: the answers differ", "error"
        case SmpOutcome.CHEATED:
            return "verification FAILED: the exchange was tampered with", "error"
        case SmpOutcome.ABORTED:
            return "verification was cancelled", "warning"


class Verification:
    """The verification dialogs of one app, talking to its service."""

    def __init__(self, app: FlowHost) -> None:
        self.app = app

    def fingerprints(self, account: str, contact: str) -> None:
        """Ours and theirs; "They match" marks their key verified."""
        app, service = self.app, self.app.service
        try:
            prints = service.fingerprints(account, contact)
        except ServiceError as exc:
            app.notify(str(exc), severity="error", markup=False)
            return
        theirs = prints.theirs
        trusted = prints.is_verified(theirs)

        async def chosen(choice: str | None) -> None:
            if choice == "verified" and theirs:
                try:
                    await service.set_trust(account, contact, theirs.human(), TrustLevel.VERIFIED.value)
                except ServiceError as exc:
                    app.notify(str(exc), severity="error", markup=False)
            elif choice == "smp":
                self.start_smp(account, contact)

        shown = theirs.human() if theirs else None
        app.push_screen(FingerprintDialog(contact, prints.ours.human(), shown, trusted=trusted), chosen)

    def start_smp(self, account: str, contact: str) -> None:
        """Ask the contact a question (or for a shared secret)."""
        app, service = self.app, self.app.service

        def chosen(request: SmpRequest | None) -> None:
            if request is not None and app.run_command(
                lambda: service.smp_start(account, contact, request.secret, request.question)
            ):
                app.system_line(account, contact, "verification (SMP) started: waiting for them")

        app.push_screen(SmpStartDialog(contact), chosen)

    def answer(self, account: str, contact: str, question: str | None) -> None:
        """The contact started SMP: pop their question up; answer or refuse (abort)."""
        app, service = self.app, self.app.service
        dialog = SmpAnswerDialog(contact, question)

        def answered(secret: Secret[str] | None) -> None:
            if dialog.withdrawn:
                return
            if secret is None:
                app.run_command(lambda: service.smp_abort(account, contact))
                app.system_line(account, contact, "you refused to answer their verification")
            elif app.run_command(lambda: service.smp_respond(account, contact, secret)):
                app.system_line(account, contact, "answer sent: checking...")

        app.push_screen(dialog, answered)

    async def finished(self, event: SmpFinished) -> None:
        app = self.app
        view = await app.main.conversation(event.account, event.contact)
        for screen in app.screen_stack:
            if isinstance(screen, SmpAnswerDialog) and screen.contact == event.contact:
                screen.withdrawn = True  # they gave up: the question is moot, nothing to abort
                screen.dismiss(None)
        text, severity = smp_outcome_words(event)
        view.add_system(text)
        app.notify(f"{event.contact}: {text}", severity=severity, markup=False)

    def key_changed(self, event: KeyChanged) -> None:
        """The loud, blocking notice; "Verify now" opens the fingerprints."""

        def chosen(choice: str | None) -> None:
            if choice == "verify":
                self.fingerprints(event.account, event.contact)

        self.app.push_screen(KeyChangedScreen(event.account, event.contact, event.old, event.new), chosen)
