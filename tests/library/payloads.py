"""Valid submissions for every shipped form, as a person would fill them in."""

from __future__ import annotations

LONG = "Concrete examples of what happened and the difference it made."

SELF_REVIEW = {
    "achievements": "Closed the Northwind renewal and grew my territory by 18%.",
    "goals": [{"goal": "Grow the territory by 15%", "status": "met", "comment": "18%"}],
    "challenges": "Two large deals slipped into January.",
    "development": "Negotiation with procurement teams.",
    "self_rating": 4,
}


def manager_review(rating: int) -> dict:
    return {
        "strengths": "Builds trust with customers quickly; " + LONG,
        "improvements": "Forecasts are often optimistic; " + LONG,
        "summary": "A solid year with room to grow in forecasting. " + LONG,
        "rating": rating,
        "next_year_goals": [{"goal": "Forecast within 10%", "measure": "quarterly variance"}],
        "promotion_readiness": "one_to_two_years",
        "note_to_hr": "Retention risk: a competitor approached her.",
    }


ACKNOWLEDGED = {"acknowledged": True, "agreement": "agree"}
DISAGREED = {"acknowledged": True, "agreement": "disagree",
             "comments": "The forecasting point ignores the two slipped deals.",
             "request_hr_meeting": True}
SEND_BACK = {"reason": "Please add a measure to each objective."}

PEERS = ["pat@acme.test", "quinn@acme.test", "ray@acme.test", "sam@acme.test"]


def nomination(peers: list[str]) -> dict:
    return {"peers": peers, "note_to_manager": "Mostly people from the launch project."}


def peer_feedback(score: int) -> dict:
    return {"collaboration": score, "communication": score, "delivery": score,
            "ownership": score, "strengths": "Shares context generously.",
            "improvements": "Write decisions down after meetings."}


SELF_ASSESSMENT = {"collaboration": 4, "communication": 3, "delivery": 4, "ownership": 4,
                   "strengths": "Calm under pressure.", "improvements": "Saying no earlier."}
DEBRIEF = {"themes": "Trusted collaborator; decisions not always written down.",
           "agreed_actions": [{"action": "Send a decision log after each project meeting",
                               "by_when": "2026-03-31"}],
           "note_to_hr": "Ready for a team lead role soon."}

PIP_PLAN = {
    "concerns": "Four of the last six customer proposals went out late and incomplete.",
    "expectations": "Proposals complete and on time, as for every account executive.",
    "objectives": [{"objective": "Send proposals on time", "measure": "90% within 2 days",
                    "due": "2026-04-30"}],
    "support": "Weekly coaching with Mia and a proposal template.",
    "start_date": "2026-02-02",
    "duration_days": 90,
}
PIP_HR_OK = {"comments": "Clear and fair."}
PIP_ACK = {"acknowledged": True, "comments": "I will use the template."}


def pip_checkin(day: str) -> dict:
    return {"meeting_date": day, "on_track": "on_track",
            "progress": "Both proposals this week went out on time."}


def pip_review(recommendation: str) -> dict:
    return {"objectives_met": "most", "assessment": "Clear improvement since the start.",
            "recommendation": recommendation}


PIP_OUTCOME = {"summary": "All objectives met for two consecutive months.",
               "effective_date": "2026-05-04"}
PIP_EXTENSION = {"reason": "Good progress, not yet sustained.", "extra_days": 30}

OKR_PLAN = {"quarter": "2026-Q1", "objectives": [{
    "objective": "Make onboarding effortless",
    "key_results": [
        {"description": "Cut time to first invoice", "metric": "days", "baseline": 14,
         "target": 3, "confidence": 0.6},
        {"description": "Raise onboarding NPS", "metric": "NPS", "target": 50,
         "confidence": 0.7}]}]}
OKR_APPROVAL = {"comments": "Ambitious and measurable."}
OKR_CHECKIN = {"key_results": [
    {"key_result": "Cut time to first invoice", "current": 8, "confidence": 0.5},
    {"key_result": "Raise onboarding NPS", "current": 41, "confidence": 0.8}],
    "overall": "Invoice automation is late; NPS is ahead."}
OKR_CHECKIN_FEEDBACK = {"comments": "Good update; focus on the invoice work."}
OKR_SELF_SCORE = {"key_results": [
    {"key_result": "Cut time to first invoice", "final_value": 5, "score": 0.7},
    {"key_result": "Raise onboarding NPS", "final_value": 52, "score": 1.0}],
    "overall_score": 0.85, "learnings": "Automate earlier in the quarter."}
OKR_FINAL = {"final_score": 0.8, "comments": "Strong quarter; invoice KR nearly met."}

PROBATION_OBJECTIVES = {"objectives": [
    {"objective": "Learn the product", "measure": "runs a demo alone"},
    {"objective": "Build a pipeline", "measure": "10 qualified opportunities"}],
    "probation_end": "2026-04-05", "buddy": "pat@acme.test"}
PROBATION_MIDPOINT = {"on_track": "concerns", "progress": "Demo done; pipeline at 4 of 10.",
                      "going_well": "Customers like her demos.",
                      "to_improve": "Prospecting volume.", "note_to_hr": "Watch the pipeline."}


def probation_final(recommendation: str) -> dict:
    return {"objectives_assessment": "Demo objective met; pipeline objective met at 10.",
            "recommendation": recommendation, "reasons": "Both objectives met by the end.",
            "note_to_hr": "Happy to confirm."}


PROBATION_SIGNOFF = {"notes": "Evidence supports the recommendation.",
                     "effective_date": "2026-04-05"}

FEEDBACK_REQUEST = {"giver": "pat@acme.test", "topic": "How I ran the planning workshop.",
                    "questions": "What should I do differently next time?"}
FEEDBACK_GIVEN = {"response": "give", "keep_doing": "Clear agenda, sent a day ahead.",
                  "do_differently": "Leave more time for the last topic."}
FEEDBACK_DECLINED = {"response": "decline", "decline_reason": "I was not there; ask Quinn."}
FEEDBACK_READ = {"read": True, "thanks": "Thank you, Pat!", "takeaways": "Timebox topics."}

ONE_ON_ONE_AGENDA = {"meeting_date": "2026-01-07", "mood": "good",
                     "topics": ["On-call rota", "Conference budget"]}
ONE_ON_ONE_NOTES = {"summary": "Agreed on the rota; budget approved for one conference.",
                    "action_items": [{"action": "Book the conference", "owner": "employee",
                                      "due": "2026-01-31"}],
                    "private_notes": "Seems tired; check workload next time."}
ONE_ON_ONE_COMMENTS = {"notes_accurate": True, "comments": "Thanks!"}

MBO_OBJECTIVES = {"year": 2026, "objectives": [
    {"perspective": "financial", "objective": "Grow revenue", "measure": "bookings",
     "target": "1.2M", "weight": 50},
    {"perspective": "customer", "objective": "Keep customers", "measure": "churn",
     "target": "below 2%", "weight": 30},
    {"perspective": "learning", "objective": "Certify", "measure": "certificate",
     "target": "passed", "weight": 20}]}
MBO_APPROVAL = {"comments": "Agreed."}
MBO_MIDYEAR = {"on_track": "on_track", "progress": "Bookings at 55% of target by June."}
MBO_SELF = {"results": [
    {"objective": "Grow revenue", "result": "1.3M booked", "achievement": 108},
    {"objective": "Keep customers", "result": "1.8% churn", "achievement": 100},
    {"objective": "Certify", "result": "passed in May", "achievement": 100}]}
MBO_ASSESSMENT = {"results": [
    {"objective": "Grow revenue", "weight": 50, "achievement": 108},
    {"objective": "Keep customers", "weight": 30, "achievement": 100},
    {"objective": "Certify", "weight": 20, "achievement": 100}],
    "overall_score": 104, "summary": "Targets met or beaten across the scorecard.",
    "bonus_recommendation": "above"}
