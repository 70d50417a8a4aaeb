Feature: The phases and steps of a plan
  A plan runs in seven phases: consultation, preparation, pre-treatment, exfoliation (or why
  it is skipped), the dated treatment sessions, aftercare and follow-up. Each step says what
  to do and names the agents it uses or asks the client to pause, with the dates from and
  until which that applies, so that a receptionist can book it and no two steps disagree.

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

  Rule: The procedure runs in its seven phases

    @rule:REQ-CONSULTATION @rule:REQ-CLEANSE @rule:REQ-DEGREASE @rule:REQ-FOLLOW-UP-REVIEW
    Scenario: A risk-free client gets every phase in order, from consultation to the review after the course
      Given the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan status is "ready"
      And the phases come in the order consultation, preparation, pre treatment, exfoliation, treatment, aftercare and follow up
      And the plan includes the step "Consultation and consent" because of REQ-CONSULTATION
      And the plan includes the step "Cleansing" because of REQ-CLEANSE
      And the plan includes the step "Degreasing" because of REQ-DEGREASE
      And the plan includes the step "Review and maintenance plan" because of REQ-FOLLOW-UP-REVIEW
      And every step names the rule behind it

    @rule:REQ-DEGREASE
    Scenario: A laser session is not preceded by acetone degreasing
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And the plan does not include the step "Degreasing"

  Rule: Every plan carries the standing instructions before the first session

    @rule:REQ-NO-WAXING-BEFORE @rule:REQ-INJECTABLES-TIMING @rule:REQ-SUN-AVOIDANCE-BEFORE @rule:AC-PEEL-PAUSE-ACTIVES
    Scenario: A peel plan asks for sun protection from today, no waxing, no acid products two days before and injectables kept away from session days
      Given the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan includes the step "No waxing before treatment" because of REQ-NO-WAXING-BEFORE
      And the plan includes the step "Timing of injectables" because of REQ-INJECTABLES-TIMING
      And the step "Sun avoidance before treatment" uses "Broad-spectrum sunscreen" from 2026-11-25 until 2026-12-01
      And the step "No retinoids, acid products or scrubs during a course of superficial peels and for 2 weeks after it" pauses "Acid skin-care products" from 2026-11-29 until 2027-01-26

  Rule: Pigment-prone skin is test-spotted and primed with hydroquinone, never with a retinoid

    @rule:REQ-TEST-SPOT-PIGMENT @rule:REQ-PRIMING-PIH-PEEL
    Scenario: Fitzpatrick type V skin is test-spotted and primed with hydroquinone for two weeks before the first peel, paused around each peel
      Given the client's answers include:
        | question              | answer      |
        | Fitzpatrick skin type | 5           |
        | Skin type             | combination |
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the plan includes the step "Test spot" because of REQ-TEST-SPOT-PIGMENT
      And the plan includes the step "Skin priming with hydroquinone" because of REQ-PRIMING-PIH-PEEL
      And the first session is on 2026-12-09
      And the step "Skin priming with hydroquinone" uses "Hydroquinone 4%" from 2026-11-25 until 2027-02-17
      And the step "Skin priming with hydroquinone" pauses "Hydroquinone 4%" from 2026-12-07 until 2027-01-22
      And no step of the plan uses "Topical retinoid"

    @rule:REQ-TEST-SPOT-PIGMENT
    Scenario: Dark marks that lasted for months after acne bring a test spot even in Fitzpatrick type II
      Given the client's answers include:
        | question                      | answer |
        | History of lasting dark marks | yes    |
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the plan includes the step "Test spot" because of REQ-TEST-SPOT-PIGMENT

    @rule:REQ-PRIMING-PIH-LASER
    Scenario: Fitzpatrick type IV skin is primed with hydroquinone before a fractional laser and pauses it for a week after each session
      Given the client's answers include:
        | question              | answer          |
        | Age                   | 50              |
        | Fitzpatrick skin type | 4               |
        | Pore causes           | elasticity loss |
        | Skin type             | normal          |
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And the plan includes the step "Skin priming with hydroquinone" because of REQ-PRIMING-PIH-LASER
      And the first session is on 2026-12-09
      And the step "Skin priming with hydroquinone" pauses "Hydroquinone 4%" from 2026-12-09 until 2027-01-27

  Rule: Tests before the first session for sensitive, scar-prone and allergic skin

    @rule:REQ-PATCH-TEST-SENSITIVE
    Scenario: A peel on sensitive skin starts with a patch test read at 48 hours
      Given the client's answers include:
        | question    | answer     |
        | Skin type   | sensitive  |
        | Pore causes | congestion |
      When the protocol is applied
      Then the plan chooses "Mandelic acid peel"
      And the plan includes the step "Patch test" because of REQ-PATCH-TEST-SENSITIVE
      And the first session may not be before 2026-11-27

    @rule:REQ-TEST-SPOT-SCAR-PRONE
    Scenario: A keloid former has a test spot before a fractional laser
      Given the client's answers include:
        | question                        | answer          |
        | Age                             | 52              |
        | Pore causes                     | elasticity loss |
        | Skin type                       | normal          |
        | Keloid or hypertrophic scarring | yes             |
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And the plan includes the step "Test spot (scar-prone skin)" because of REQ-TEST-SPOT-SCAR-PRONE

    @rule:REQ-TEST-SPOT-SENSITIVE
    Scenario: Sensitive skin has a test spot before a laser
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | sensitive       |
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And the plan includes the step "Test spot (sensitive skin)" because of REQ-TEST-SPOT-SENSITIVE

    @rule:REQ-PATCH-TEST-SALICYLATE-ALLERGY
    Scenario: A client allergic to aspirin has a patch test before a glycolic peel
      Given the client's answers include:
        | question                      | answer |
        | Salicylate or aspirin allergy | yes    |
      When the protocol is applied
      Then the plan chooses "Glycolic acid peel"
      And the plan includes the step "Patch test (aspirin allergy)" because of REQ-PATCH-TEST-SALICYLATE-ALLERGY

  Rule: A recent topical retinoid is paused before the first session and through the course: one timeline per plan

    @rule:REQ-RETINOID-WASHOUT-PEEL @rule:AC-PEEL-PAUSE-ACTIVES
    Scenario: A retinoid used two days ago is paused a week before the first peel and until two weeks after the last
      Given the client's answers include:
        | question                  | answer                       |
        | Last topical retinoid use | 2 days before the assessment |
      And the client would like to start on 2026-11-26
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the first session is on 2026-11-30
      And the step "Topical retinoid pause" pauses "Topical retinoid" from 2026-11-25 until 2027-01-25
      And the step "No retinoids, acid products or scrubs during a course of superficial peels and for 2 weeks after it" pauses "Topical retinoid" from 2026-11-30 until 2027-01-25

    @rule:REQ-RETINOID-WASHOUT-PEEL-PIGMENT-ACNE @rule:CI-ACNE-RETINOID-REVIEW
    Scenario: A 19-year-old with active acne who used a retinoid yesterday waits two weeks for the first peel, and the pause is agreed with her prescriber
      Given the client's answers include:
        | question                  | answer                       |
        | Age                       | 19                           |
        | Active inflammatory acne  | yes                          |
        | Last topical retinoid use | 1 day before the assessment  |
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-ACNE-RETINOID-REVIEW
      And "Mandelic acid peel" has a caution from CI-ACNE-RETINOID-REVIEW
      And the plan includes the step "Topical retinoid pause" because of REQ-RETINOID-WASHOUT-PEEL-PIGMENT-ACNE
      And the first session is on 2026-12-08

    @rule:REQ-RETINOID-WASHOUT-MDA @rule:AC-MDA-GENTLE
    Scenario: A retinoid used three days ago is paused a week before microdermabrasion and until a week after the course
      Given the client's answers include:
        | question                  | answer                       |
        | Last topical retinoid use | 3 days before the assessment |
      And the practitioner asks for "Diamond-tip microdermabrasion"
      And the client would like to start on 2026-11-26
      When the protocol is applied
      Then the plan chooses "Diamond-tip microdermabrasion"
      And the plan includes the step "Topical retinoid pause" because of REQ-RETINOID-WASHOUT-MDA
      And the first session is on 2026-11-29
      And the plan includes the step "Gentle care after microdermabrasion, and no retinoids or acid products from three days before until a week after the course" because of AC-MDA-GENTLE
      And the step "Gentle care after microdermabrasion, and no retinoids or acid products from three days before until a week after the course" pauses "Acid skin-care products" from 2026-11-26 until 2027-02-14

    @rule:REQ-RETINOID-WASHOUT-LASER @rule:AC-LASER-NON-ABLATIVE @rule:AC-SUN-FRACTIONAL-LASER
    Scenario: A retinoid used last week is stopped six weeks before a fractional laser
      Given the client's answers include:
        | question                  | answer                       |
        | Age                       | 55                           |
        | Pore causes               | elasticity loss              |
        | Skin type                 | normal                       |
        | Last topical retinoid use | 1 week before the assessment |
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And the plan includes the step "Topical retinoid pause" because of REQ-RETINOID-WASHOUT-LASER
      And the first session may not be before 2026-12-30
      And the plan includes the step "Cool compresses after a non-ablative laser, and no actives until a week after the course" because of AC-LASER-NON-ABLATIVE
      And the aftercare includes "Strict sun avoidance for 2 months after a non-ablative fractional laser" for 2 months because of AC-SUN-FRACTIONAL-LASER

    @rule:REQ-RETINOID-WASHOUT-LASER
    Scenario: A retinoid stopped two months ago needs no pause before a laser
      Given the client's answers include:
        | question                  | answer                         |
        | Age                       | 55                             |
        | Pore causes               | elasticity loss                |
        | Skin type                 | normal                         |
        | Last topical retinoid use | 2 months before the assessment |
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And the plan does not include the step "Topical retinoid pause"

  Rule: Ablative resurfacing: six-week retinoid stop, antiviral from 2 days before to 14 days after each session, wound care and a wound check a week after each session

    @rule:REQ-RETINOID-WASHOUT-ABLATIVE @rule:REQ-ANTIVIRAL-ABLATIVE @rule:REQ-ANTIBIOTIC-ABLATIVE @rule:AC-LASER-ABLATIVE @rule:AC-SUN-ABLATIVE-LASER @rule:REQ-FOLLOW-UP-WOUND-CHECK @rule:SUIT-ESCALATE-ABLATIVE-AFTER-NAFL
    Scenario: A non-responder to a fractional laser course who accepts downtime gets ablative resurfacing, fully prepared and covered
      Given the client's answers include:
        | question                  | answer                        |
        | Age                       | 55                            |
        | Pore causes               | elasticity loss               |
        | Skin type                 | normal                        |
        | Downtime tolerance        | extended                      |
        | Last topical retinoid use | 5 days before the assessment  |
      And the client had a "Non-ablative fractional laser" 6 months before the assessment
      And the client had a "Non-ablative fractional laser" 5 months before the assessment, with the result "inadequate"
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Ablative fractional laser"
      And the plan includes the step "Topical retinoid pause" because of REQ-RETINOID-WASHOUT-ABLATIVE
      And the first session is on 2027-01-01
      And the step "Antiviral prophylaxis" uses "Oral antiviral" from 2026-12-30 until 2027-05-07
      And the plan includes the step "Antibacterial and antifungal cover" because of REQ-ANTIBIOTIC-ABLATIVE
      And the aftercare includes "Wound care after ablative resurfacing" for 2 weeks because of AC-LASER-ABLATIVE
      And the aftercare includes "Strict sun avoidance for 2 months after ablative resurfacing, with SPF 50+ once the crusts have shed" for 2 months because of AC-SUN-ABLATIVE-LASER
      And the plan includes the step "Wound check after session 1" because of REQ-FOLLOW-UP-WOUND-CHECK
      And the step "Wound check after session 1" is on 2027-01-08
      And the step "Wound check after session 3" is on 2027-04-30

  Rule: A medium-depth peel is primed with a retinoid and hydroquinone, starts with its pre-step and is covered by an antiviral

    @rule:REQ-PRIMING-MEDIUM-PEEL @rule:REQ-TCA-PRE-STEP @rule:AC-MEDIUM-PEEL-WOUND-CARE @rule:REQ-ANTIVIRAL-ABLATIVE
    Scenario: A medium-depth peel chosen by the practitioner is primed for six weeks and followed by wound care
      Given the client's answers include:
        | question           | answer     |
        | Age                | 45         |
        | Pore causes        | sun damage |
        | Skin type          | normal     |
        | Downtime tolerance | extended   |
      And the practitioner asks for "Medium-depth trichloroacetic acid peel"
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan chooses "Medium-depth trichloroacetic acid peel"
      And the plan includes the step "Skin priming (medium-depth peel)" because of REQ-PRIMING-MEDIUM-PEEL
      And the first session is on 2027-01-06
      And the step "Skin priming (medium-depth peel)" uses "Topical retinoid" from 2026-11-25 until 2026-12-23
      And the plan includes the step "Pre-step at each session: Jessner's solution" because of REQ-TCA-PRE-STEP
      And the plan includes the step "Antiviral prophylaxis" because of REQ-ANTIVIRAL-ABLATIVE
      And the aftercare includes "Wound care after a medium-depth peel" for 2 weeks because of AC-MEDIUM-PEEL-WOUND-CARE

    @rule:REQ-TCA-PRE-STEP @rule:AG-SALICYLATE-ALLERGY
    Scenario: For a client allergic to aspirin a medium-depth peel starts with glycolic acid 70% instead of Jessner's solution
      Given the client's answers include:
        | question                      | answer     |
        | Age                           | 45         |
        | Pore causes                   | sun damage |
        | Skin type                     | normal     |
        | Downtime tolerance            | extended   |
        | Salicylate or aspirin allergy | yes        |
      And the practitioner asks for "Medium-depth trichloroacetic acid peel"
      When the protocol is applied
      Then the plan chooses "Medium-depth trichloroacetic acid peel"
      And the plan includes the step "Pre-step at each session: glycolic acid 70%" because of REQ-TCA-PRE-STEP
      And the plan does not include the step "Pre-step at each session: Jessner's solution"
      And no step of the plan uses "Salicylic acid"

  Rule: A cold sore history adds antiviral prophylaxis before any technique

    @rule:REQ-ANTIVIRAL-HSV-HISTORY
    Scenario: A cold sore history adds an antiviral from two days before to ten days after each peel
      Given the client's answers include:
        | question          | answer |
        | Cold sore history | yes    |
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan status is "ready"
      And the plan includes the step "Antiviral prophylaxis (cold sore history)" because of REQ-ANTIVIRAL-HSV-HISTORY
      And the step "Antiviral prophylaxis (cold sore history)" uses "Oral antiviral" from 2026-11-29 until 2027-01-22

  Rule: Habits that slow healing or cause bruising are paused

    @rule:REQ-STOP-SMOKING
    Scenario: A smoker stops two weeks before a fractional laser and stays off it until two weeks after the course
      Given the client's answers include:
        | question    | answer          |
        | Age         | 62              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
        | Smoker      | yes             |
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And the first session is on 2026-12-09
      And the step "Stop smoking" pauses "Tobacco and nicotine" from 2026-11-25 until 2027-02-03

    @rule:REQ-STOP-SMOKING
    Scenario: Smoking does not delay a superficial peel
      Given the client's answers include:
        | question | answer |
        | Smoker   | yes    |
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the first session is on 2026-12-01
      And the plan does not include the step "Stop smoking"

    @rule:REQ-STOP-ELECTIVE-BLOOD-THINNERS
    Scenario: Non-prescribed blood thinners are paused from ten days before each laser session
      Given the client's answers include:
        | question                                               | answer          |
        | Age                                                    | 55              |
        | Pore causes                                            | elasticity loss |
        | Skin type                                              | normal          |
        | Non-prescribed blood-thinning medicines or supplements | yes             |
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And the plan includes the step "Pause non-prescribed blood thinners" because of REQ-STOP-ELECTIVE-BLOOD-THINNERS
      And the first session may not be before 2026-12-05

  Rule: Aftercare follows each technique, for a stated time

    @rule:AC-SUNSCREEN @rule:AC-PEEL-NO-PICKING @rule:AC-PEEL-NO-HEAT @rule:AC-NO-WAXING-AFTER
    Scenario: After a peel the client protects the skin from the sun for three months, lets it shed and avoids heat and waxing
      When the protocol is applied
      Then the aftercare includes "Daily broad-spectrum sunscreen for 3 months after the last peel" for 3 months because of AC-SUNSCREEN
      And the aftercare includes "Do not pick or scrub peeling skin" for 1 week because of AC-PEEL-NO-PICKING
      And the aftercare includes "No sauna, hot baths or strenuous exercise for 48 hours after a peel" for 2 days because of AC-PEEL-NO-HEAT
      And the aftercare includes "No waxing or depilation for 2 weeks after a peel or microdermabrasion" for 2 weeks because of AC-NO-WAXING-AFTER

    @rule:AC-SUN-ND-YAG-MDA
    Scenario: After Nd:YAG the client uses sunscreen and does not tan for four weeks
      Given the client's answers include:
        | question           | answer          |
        | Age                | 50              |
        | Pore causes        | elasticity loss |
        | Skin type          | normal          |
        | Downtime tolerance | none            |
      When the protocol is applied
      Then the plan chooses "Nd:YAG 1064 nm laser"
      And the aftercare includes "Daily sunscreen and no tanning for 4 weeks after Nd:YAG or microdermabrasion" for 4 weeks because of AC-SUN-ND-YAG-MDA
