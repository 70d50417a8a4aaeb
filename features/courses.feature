Feature: A course over time
  Pores are treated in a course, not in one visit. A client part-way through a course continues
  it after a short visit check, a completed course is maintained, and a course that did not work
  is neither continued nor maintained. How the skin reacted to the last session shapes the next
  one. The practitioner may ask for a technique of their own, which is planned only when it is
  safe and indicated, and may check a plan of their own (technique and dates) against the
  protocol, including "can today's session go ahead?".

  The reaction to one technique is proven technique by technique in returning_clients.feature
  (prolonged redness or lasting dark marks: CI-PREVIOUS-REACTION-GLYCOLIC, -SALICYLIC,
  -MANDELIC, -LACTIC, -MEDIUM-PEEL, -CRYSTAL-MDA, -DIAMOND-MDA, -NAFL, -ND-YAG, -ABLATIVE,
  -JESSNER and -HYDRADERMABRASION; blistering or scarring: CI-PREVIOUS-BLISTERING). This
  feature covers what a reaction does to the rest of the course.

  Background:
    Given a client with these answers:
      | question                                                     | answer                   |
      | Assessment date                                              | 2026-11-25               |
      | Age                                                          | 30                       |
      | Pore causes                                                  | excess sebum, congestion |
      | Sex at birth                                                 | female                   |
      | Pregnant                                                     | no                       |
      | Breastfeeding                                                | no                       |
      | Fitzpatrick skin type                                        | 2                        |
      | Skin type                                                    | oily                     |
      | Downtime tolerance                                           | short                    |
      | Active infection in the area                                 | no                       |
      | Open wounds                                                  | no                       |
      | Skin cancer or suspicious lesion in the area                 | no                       |
      | Unrealistic expectations or unable to follow aftercare       | no                       |
      | Last tan or sunburn                                          | never                    |
      | Last unprotected sun exposure                                | never                    |
      | Photosensitising medicines                                   | none                     |
      | Last dose of a photosensitising antibiotic or other medicine | never                    |
      | Last St John's wort                                          | never                    |
      | Salicylate or aspirin allergy                                | no                       |
      | Keloid or hypertrophic scarring                              | no                       |
      | Eczema or dermatitis                                         | no                       |
      | Active rosacea                                               | no                       |
      | Rosacea-prone skin                                           | no                       |
      | Active inflammatory acne                                     | no                       |
      | Anticoagulant use                                            | no                       |
      | Weakened immunity                                            | no                       |
      | Autoimmune or connective-tissue disease                      | none                     |
      | Diabetes                                                     | none                     |
      | Facial radiotherapy                                          | no                       |
      | Last facial surgery                                          | never                    |
      | Melasma                                                      | no                       |
      | Vitiligo                                                     | no                       |
      | History of lasting dark marks                                | no                       |
      | Last oral isotretinoin dose                                  | never                    |
      | Last topical retinoid use                                    | never                    |
      | Cold sore history                                            | no                       |
      | Smoker                                                       | no                       |
      | Non-prescribed blood-thinning medicines or supplements       | no                       |
      | Epilepsy or light-triggered seizures                         | no                       |
      | Previous treatments                                          | none                     |
      | Last facial waxing or depilation                             | never                    |
      | Last botulinum toxin injection                               | never                    |
      | Last dermal filler injection                                 | never                    |

  Rule: A course in progress continues where it stopped, and ends with a review

    @rule:REQ-VISIT-CHECK
    Scenario: Two of four salicylic peels done two and four weeks ago: sessions three and four follow, after a visit check
      Given the client had a "Salicylic acid peel" 4 weeks before the assessment
      And the client had a "Salicylic acid peel" 2 weeks before the assessment
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Salicylic acid peel"
      And the course continues with sessions 3 to 4 of 4
      And the first session is on 2026-12-01
      And the sessions are 2 weeks apart
      And the plan includes the step "Visit check" because of REQ-VISIT-CHECK
      And the plan does not include the step "Consultation and consent"

    @rule:REQ-FOLLOW-UP-REVIEW @rule:REQ-VISIT-CHECK
    Scenario: Three of four salicylic peels done: the fourth completes the course and the review follows four weeks later
      Given the client had a "Salicylic acid peel" 6 weeks before the assessment
      And the client had a "Salicylic acid peel" 4 weeks before the assessment
      And the client had a "Salicylic acid peel" 2 weeks before the assessment
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the course continues with session 4 of 4, its last
      And the first session is on 2026-12-01
      And the plan includes the step "Review and maintenance plan" because of REQ-FOLLOW-UP-REVIEW
      And the step "Review and maintenance plan" is on 2026-12-29

    @rule:REQ-CONSULTATION
    Scenario: A course left for six weeks, longer than its longest interval, starts again with a full consultation
      Given the client had a "Salicylic acid peel" 8 weeks before the assessment
      And the client had a "Salicylic acid peel" 6 weeks before the assessment
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the plan starts a new course of 4 sessions
      And the plan includes the step "Consultation and consent" because of REQ-CONSULTATION
      And the plan does not include the step "Visit check"

  Rule: A completed course that worked is maintained; one that did not work is not

    @rule:REQ-VISIT-CHECK @rule:REQ-FOLLOW-UP-REVIEW
    Scenario: Four salicylic peels completed six weeks ago with a good result are maintained every two months for a year
      Given the client had a "Salicylic acid peel" 12 weeks before the assessment
      And the client had a "Salicylic acid peel" 10 weeks before the assessment
      And the client had a "Salicylic acid peel" 8 weeks before the assessment
      And the client had a "Salicylic acid peel" 6 weeks before the assessment, with the result "adequate"
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Salicylic acid peel"
      And the plan maintains the course with a session every 2 months, the first on 2026-12-14
      And the plan includes the step "Visit check" because of REQ-VISIT-CHECK
      And the plan includes the step "Review and maintenance plan" because of REQ-FOLLOW-UP-REVIEW

    @rule:REQ-RETINOID-WASHOUT-PEEL @rule:AC-PEEL-PAUSE-ACTIVES
    Scenario: A retinoid user's maintenance peels pause the retinoid around each peel, not for the whole year
      Given the client's answers include:
        | question                  | answer     |
        | Last topical retinoid use | 2026-11-24 |
      And the client had a "Salicylic acid peel" 12 weeks before the assessment
      And the client had a "Salicylic acid peel" 10 weeks before the assessment
      And the client had a "Salicylic acid peel" 8 weeks before the assessment
      And the client had a "Salicylic acid peel" 6 weeks before the assessment, with the result "adequate"
      When the protocol is applied
      Then the plan status is "ready"
      And the plan maintains the course with a session every 2 months, the first on 2026-12-14
      And the step "Topical retinoid pause" pauses "Topical retinoid" around each maintenance session: 2026-12-07 to 2026-12-28, 2027-02-07 to 2027-02-28, 2027-04-07 to 2027-04-28, 2027-06-07 to 2027-06-28, 2027-08-07 to 2027-08-28, 2027-10-07 to 2027-10-28
      And the step "No retinoids, acid products or scrubs during a course of superficial peels and for 2 weeks after it" pauses "Topical retinoid" around each maintenance session: 2026-12-14 to 2026-12-28, 2027-02-14 to 2027-02-28, 2027-04-14 to 2027-04-28, 2027-06-14 to 2027-06-28, 2027-08-14 to 2027-08-28, 2027-10-14 to 2027-10-28
      And no pause of "Topical retinoid" in the plan lasts longer than 5 weeks

    @rule:REQ-PRIMING-PIH-PEEL
    Scenario: Pigment-prone skin maintained with peels is primed with hydroquinone before each peel, never for months on end
      Given the client's answers include:
        | question                      | answer |
        | History of lasting dark marks | yes    |
      And the client had a "Salicylic acid peel" 12 weeks before the assessment
      And the client had a "Salicylic acid peel" 10 weeks before the assessment
      And the client had a "Salicylic acid peel" 8 weeks before the assessment
      And the client had a "Salicylic acid peel" 6 weeks before the assessment, with the result "adequate"
      When the protocol is applied
      Then the plan maintains the course with a session every 2 months, the first on 2026-12-14
      And the step "Skin priming with hydroquinone" uses "Hydroquinone 4%" around each maintenance session: 2026-11-30 to 2027-01-11, 2027-01-31 to 2027-03-14, 2027-03-31 to 2027-05-12, 2027-05-31 to 2027-07-12, 2027-07-31 to 2027-09-11, 2027-09-30 to 2027-11-11
      And no use of "Hydroquinone 4%" in the plan lasts longer than 7 weeks

    @rule:REQ-PRIMING-PIH-LASER
    Scenario: A fractional laser maintained every six months is primed two weeks before each session, not from today
      Given the client's answers include:
        | question                      | answer          |
        | Age                           | 55              |
        | Pore causes                   | elasticity loss |
        | Skin type                     | normal          |
        | Fitzpatrick skin type         | 4               |
        | History of lasting dark marks | yes             |
      And the client had a "Non-ablative fractional laser" 15 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 13 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 11 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 9 weeks before the assessment, with the result "adequate"
      When the protocol is applied
      Then the plan maintains the course with a session every 6 months, the first on 2027-03-23
      And the step "Skin priming with hydroquinone" uses "Hydroquinone 4%" around each maintenance session: 2027-03-09 to 2027-04-20, 2027-09-09 to 2027-10-21
      And no use of "Hydroquinone 4%" in the plan lasts longer than 7 weeks

    @rule:SEQ-END-NAFL-INADEQUATE
    Scenario: Four fractional laser sessions completed with a good result are maintained every six months
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      And the client had a "Non-ablative fractional laser" 15 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 13 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 11 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 9 weeks before the assessment, with the result "adequate"
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Non-ablative fractional laser"
      And the plan maintains the course with a session every 6 months, the first on 2027-03-23

    @rule:SEQ-END-NAFL-INADEQUATE @rule:SUIT-ESCALATE-ABLATIVE-AFTER-NAFL
    Scenario: Four fractional laser sessions completed without an adequate result are not maintained: a client who accepts downtime gets ablative resurfacing
      Given the client's answers include:
        | question           | answer          |
        | Age                | 55              |
        | Pore causes        | elasticity loss |
        | Skin type          | normal          |
        | Downtime tolerance | extended        |
      And the client had a "Non-ablative fractional laser" 15 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 13 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 11 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 9 weeks before the assessment, with the result "inadequate"
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Ablative fractional laser"
      And the plan starts a new course of 3 sessions
      And "Ablative fractional laser" has an argument for it from SUIT-ESCALATE-ABLATIVE-AFTER-NAFL
      And no session of the plan is a maintenance session

    @rule:SEQ-END-NAFL-INADEQUATE @rule:SUIT-NAFL-INADEQUATE-AGAINST
    Scenario: The same completed course without an adequate result, for a client who accepts little downtime: Nd:YAG, not the same laser again
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      And the client had a "Non-ablative fractional laser" 15 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 13 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 11 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 9 weeks before the assessment, with the result "inadequate"
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Nd:YAG 1064 nm laser"
      And the plan starts a new course of 5 sessions
      And "Non-ablative fractional laser" has an argument against it from SUIT-NAFL-INADEQUATE-AGAINST

    @rule:SEQ-END-NAFL-INADEQUATE
    Scenario: A completed fractional laser course whose result was not recorded: the plan asks whether it worked before planning anything
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      And the client had a "Non-ablative fractional laser" 15 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 13 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 11 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 9 weeks before the assessment
      When the protocol is applied
      Then the plan status is "needs information"
      And the plan chooses "no technique"
      And the plan asks how well the last course worked, because of SEQ-END-NAFL-INADEQUATE

  Rule: A reaction to the last peel is carried into the rest of the course

    @rule:SEQ-GENTLER-AFTER-REACTION
    Scenario: After prolonged redness from the last salicylic peel, every remaining session starts below the standard settings
      Given the client had a "Salicylic acid peel" 4 weeks before the assessment
      And the client had a "Salicylic acid peel" 2 weeks before the assessment, which left prolonged redness
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the course continues with sessions 3 to 4 of 4
      And every session of the plan says "start lower (the strength and settings of the test spot" because of SEQ-GENTLER-AFTER-REACTION

    @rule:SEQ-GENTLER-AFTER-REACTION
    Scenario: A course whose last session settled without a problem keeps the standard settings
      Given the client had a "Salicylic acid peel" 4 weeks before the assessment
      And the client had a "Salicylic acid peel" 2 weeks before the assessment
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the course continues with sessions 3 to 4 of 4
      And no session of the plan says "start lower"

    @rule:AG-PEEL-REACTION-ACIDS @rule:REQ-TEST-SPOT-AFTER-REACTION
    Scenario: A salicylic course left for six weeks after prolonged redness does not restart on a more irritating acid without review
      Given the client had a "Salicylic acid peel" 8 weeks before the assessment
      And the client had a "Salicylic acid peel" 6 weeks before the assessment, which left prolonged redness
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Diamond-tip microdermabrasion"
      And the plan starts a new course of 6 sessions
      And "Glycolic acid peel" has a caution from AG-PEEL-REACTION-ACIDS
      And "Jessner's solution peel" has a caution from AG-PEEL-REACTION-ACIDS
      And "Salicylic acid peel" has a caution from CI-PREVIOUS-REACTION-SALICYLIC
      And the plan includes the step "Test spot after a reaction" because of REQ-TEST-SPOT-AFTER-REACTION

    @rule:AG-PEEL-REACTION-ACIDS
    Scenario: After that lapse, the practitioner's glycolic peel is planned only after review
      Given the client had a "Salicylic acid peel" 8 weeks before the assessment
      And the client had a "Salicylic acid peel" 6 weeks before the assessment, which left prolonged redness
      And the practitioner asks for "Glycolic acid peel"
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Glycolic acid peel"
      And the plan cautions about "Glycolic acid peel" because of AG-PEEL-REACTION-ACIDS

    @rule:AG-PEEL-REACTION-ACIDS @rule:SUIT-PIH-HIGH-JESSNER-AGAINST
    Scenario: Dark marks for three months after a glycolic peel: the practitioner's Jessner's peel needs review and is argued against
      Given the client's answers include:
        | question                      | answer |
        | Fitzpatrick skin type         | 3      |
        | History of lasting dark marks | yes    |
      And the client had a "Glycolic acid peel" 8 months before the assessment, which left lasting dark marks
      And the practitioner asks for "Jessner's solution peel"
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Jessner's solution peel"
      And the plan cautions about "Jessner's solution peel" because of AG-PEEL-REACTION-ACIDS
      And "Jessner's solution peel" has an argument against it from SUIT-PIH-HIGH-JESSNER-AGAINST

  Rule: The practitioner's choice is planned only when it is safe and indicated

    @rule:SUIT-CAUSE-SEBUM-AHA-JESSNER
    Scenario: The practitioner asks for a glycolic peel for oily, congested pores: it is planned, and the plan says whose choice it was
      Given the practitioner asks for "Glycolic acid peel"
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Glycolic acid peel"
      And the plan says the practitioner chose it

    @rule:SUIT-NO-DOWNTIME
    Scenario: The practitioner asks for ablative resurfacing for a client who accepts only a few days of downtime: it needs review
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      And the practitioner asks for "Ablative fractional laser"
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Ablative fractional laser"
      And "Ablative fractional laser" has an argument against it from SUIT-NO-DOWNTIME

    @rule:CI-ANTICOAGULANT-MDA
    Scenario: The practitioner asks for microdermabrasion for a client on warfarin: refused, with the exclusion
      Given the client's answers include:
        | question          | answer |
        | Anticoagulant use | yes    |
      And the practitioner asks for "Diamond-tip microdermabrasion"
      When the protocol is applied
      Then the plan status is "not suitable"
      And the plan chooses "no technique"
      And "Diamond-tip microdermabrasion" is excluded because of CI-ANTICOAGULANT-MDA
      And the plan says the practitioner's choice is ruled out for this client

    @rule:SUIT-CAUSE-DERMAL-TCA
    Scenario: The practitioner asks for a medium-depth peel for oily, congested pores: refused, as it treats lax pores only
      Given the practitioner asks for "Medium-depth trichloroacetic acid peel"
      When the protocol is applied
      Then the plan status is "not suitable"
      And the plan chooses "no technique"
      And "Medium-depth trichloroacetic acid peel" is not indicated for this pore cause
      And the plan says the practitioner's choice is not indicated for the pore cause

  Rule: The practitioner's own plan is checked against the protocol: acceptable, needs review, needs information or unacceptable

    @rule:SUIT-CAUSE-SEBUM-SALICYLIC
    Scenario: Three salicylic peels two weeks apart for the baseline client are acceptable
      When the practitioner proposes "Salicylic acid peel" on 2026-12-01, 2026-12-15 and 2026-12-29
      Then the check's verdict is "acceptable"
      And the check names no violation

    @rule:CI-ROSACEA-TENDENCY-REVIEW @rule:REQ-PATCH-TEST-SENSITIVE
    Scenario: The same salicylic peels for rosacea-prone skin keep to the protocol but need review first
      Given the client's answers include:
        | question           | answer |
        | Rosacea-prone skin | yes    |
      When the practitioner proposes "Salicylic acid peel" on 2026-12-01, 2026-12-15 and 2026-12-29
      Then the check's verdict is "needs review"
      And the check names no violation
      And the check cautions about CI-ROSACEA-TENDENCY-REVIEW
      And the check allows the first session from 2026-11-27

    @rule:CI-PREGNANCY-BREASTFEEDING-DEFER
    Scenario: A client who has not said whether she is pregnant cannot have a plan judged until she answers
      Given the client has not answered "Pregnant"
      When the practitioner proposes "Salicylic acid peel" on 2026-12-01, 2026-12-15 and 2026-12-29
      Then the check's verdict is "needs information"
      And the check names no violation
      And the check asks for "Pregnant"

    @rule:CI-ANTICOAGULANT-MDA
    Scenario: Microdermabrasion proposed for a client on warfarin is unacceptable, whatever the dates
      Given the client's answers include:
        | question          | answer |
        | Anticoagulant use | yes    |
      When the practitioner proposes "Diamond-tip microdermabrasion" on 2026-12-01, 2026-12-15 and 2026-12-29
      Then the check's verdict is "unacceptable"
      And the check says "is ruled out" because of CI-ANTICOAGULANT-MDA

    @rule:SEQ-REPEAT-NAFL
    Scenario: The next fractional laser session a week after the last one is too early for the laser and for the course
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      And the client had a "Non-ablative fractional laser" 3 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 1 week before the assessment, with the result "not assessed"
      When the practitioner proposes "Non-ablative fractional laser" on 2026-11-27
      Then the check's verdict is "unacceptable"
      And the check says "2026-11-27 is too early, from 2026-12-02" because of SEQ-REPEAT-NAFL
      And the check says "are due between 2026-12-02 and 2026-12-16" because of the catalogue entry of "Non-ablative fractional laser"

    @rule:SEQ-REPEAT-NAFL
    Scenario: Sessions three and four of that course on the days it is due are acceptable
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      And the client had a "Non-ablative fractional laser" 3 weeks before the assessment
      And the client had a "Non-ablative fractional laser" 1 week before the assessment, with the result "not assessed"
      When the practitioner proposes "Non-ablative fractional laser" on 2026-12-02 and 2026-12-16
      Then the check's verdict is "acceptable"
      And the check names no violation

  Rule: At the visit, "can today's session go ahead?" is answered with the first day it can

    @rule:CI-TAN-SUNBURN
    Scenario: Sunburnt since the last visit: today's salicylic peel is refused, not today, from six weeks after the sunburn
      Given the client's answers include:
        | question            | answer              |
        | Last tan or sunburn | the assessment date |
      When the practitioner proposes "Salicylic acid peel" on 2026-11-25
      Then the check's verdict is "unacceptable"
      And the check says "not today, from 2027-01-06" because of CI-TAN-SUNBURN

    @rule:REQ-TEST-SPOT-AFTER-REACTION @rule:CI-PREVIOUS-REACTION-SALICYLIC
    Scenario: Prolonged redness after the last salicylic peel: today's session waits for a test spot read two days later
      Given the client had a "Salicylic acid peel" 5 weeks before the assessment
      And the client had a "Salicylic acid peel" 2 weeks before the assessment, which left prolonged redness
      When the practitioner proposes "Salicylic acid peel" on 2026-11-25
      Then the check's verdict is "unacceptable"
      And the check says "not today, from 2026-11-27" because of REQ-TEST-SPOT-AFTER-REACTION
      And the check cautions about CI-PREVIOUS-REACTION-SALICYLIC

    @rule:REQ-VISIT-CHECK
    Scenario: A session due today in a course that is going well may go ahead
      Given the client had a "Salicylic acid peel" 4 weeks before the assessment
      And the client had a "Salicylic acid peel" 2 weeks before the assessment
      When the practitioner proposes "Salicylic acid peel" on 2026-11-25
      Then the check's verdict is "acceptable"
      And the check names no violation
