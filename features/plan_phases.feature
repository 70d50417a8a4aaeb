Feature: The phases of the plan
  Every plan runs consultation, cleansing and preparation, pre-treatment requirements,
  exfoliation (or the reason it is skipped), the treatment sessions, aftercare and the
  follow-up, in that order, and every step names the rule that put it there.

  Rule: The procedure runs in its seven phases

    @rule:REQ-CONSULTATION @rule:REQ-CLEANSE-DEGREASE @rule:REQ-SUN-AVOIDANCE-BEFORE @rule:REQ-FOLLOW-UP-REVIEW
    Scenario: A complete risk-free client gets every phase in order
      Given a client with no risk factors
      When the protocol is applied
      Then the phases come in the order consultation, preparation, pre treatment, exfoliation, treatment, aftercare and follow up
      And the plan includes the step "Consultation and consent" because of REQ-CONSULTATION
      And the plan includes the step "Cleansing and preparation" because of REQ-CLEANSE-DEGREASE
      And the plan includes the step "Sun avoidance before treatment" because of REQ-SUN-AVOIDANCE-BEFORE
      And the plan includes the step "Review and maintenance plan" because of REQ-FOLLOW-UP-REVIEW
      And every step names the rule behind it

  Rule: Pre-treatment requirements become dated steps

    @rule:REQ-TEST-SPOT-DARK-SKIN @rule:REQ-PRIMING-PIH
    Scenario: Fitzpatrick type V skin is test-spotted and primed for two weeks first
      Given a client with no risk factors
      And the client's answers include:
        | question              | answer |
        | Fitzpatrick skin type | 5      |
      When the protocol is applied
      Then the plan includes the step "Test spot" because of REQ-TEST-SPOT-DARK-SKIN
      And the plan includes the step "Skin priming" because of REQ-PRIMING-PIH
      And the first session may not be before 2026-12-09

    @rule:REQ-PATCH-TEST-SENSITIVE
    Scenario: A peel on sensitive skin starts with a patch test
      Given a client with no risk factors
      And the client's answers include:
        | question  | answer    |
        | Skin type | sensitive |
      When the protocol is applied
      Then the plan includes the step "Patch test" because of REQ-PATCH-TEST-SENSITIVE

    @rule:REQ-RETINOID-WASHOUT
    Scenario: A retinoid used two days ago is washed out for a week before the first peel
      Given a client with no risk factors
      And the client's answers include:
        | question                  | answer                       |
        | Last topical retinoid use | 2 days before the assessment |
      When the protocol is applied
      Then the plan includes the step "Topical retinoid washout" because of REQ-RETINOID-WASHOUT
      And the first session may not be before 2026-11-30

    @rule:REQ-RETINOID-WASHOUT
    Scenario: A retinoid stopped a month ago needs no washout
      Given a client with no risk factors
      And the client's answers include:
        | question                  | answer                        |
        | Last topical retinoid use | 1 month before the assessment |
      When the protocol is applied
      Then the plan does not include the step "Topical retinoid washout"

    @rule:REQ-ANTIVIRAL-ABLATIVE @rule:AC-LASER-ABLATIVE
    Scenario: Ablative resurfacing always comes with antiviral prophylaxis and wound care
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer                      |
        | Age                | 55                          |
        | Pore causes        | elasticity loss, sun damage |
        | Skin type          | normal                      |
        | Downtime tolerance | extended                    |
      When the protocol is applied
      Then the planned technique is "Ablative fractional laser"
      And the plan includes the step "Antiviral prophylaxis" because of REQ-ANTIVIRAL-ABLATIVE
      And the aftercare includes "Wound care after ablative resurfacing" for 4 weeks because of AC-LASER-ABLATIVE

    @rule:REQ-ANTIVIRAL-HSV-HISTORY
    Scenario: A cold sore history adds antiviral prophylaxis before a superficial peel
      Given a client with no risk factors
      And the client's answers include:
        | question          | answer |
        | Cold sore history | yes    |
      When the protocol is applied
      Then the plan includes the step "Antiviral prophylaxis (cold sore history)" because of REQ-ANTIVIRAL-HSV-HISTORY

  Rule: Aftercare follows each technique, for a stated time

    @rule:AC-SUNSCREEN @rule:AC-PEEL-NO-PICKING @rule:AC-PEEL-PAUSE-ACTIVES
    Scenario: After a peel the client protects the skin from the sun and lets it shed
      Given a client with no risk factors
      When the protocol is applied
      Then the aftercare includes "Daily broad-spectrum sunscreen" for 3 months because of AC-SUNSCREEN
      And the aftercare includes "Do not pick or scrub peeling skin" for 1 week because of AC-PEEL-NO-PICKING
      And the aftercare includes "Pause retinoids and acids after a peel" for 2 weeks because of AC-PEEL-PAUSE-ACTIVES

    @rule:AC-MDA-GENTLE
    Scenario: After microdermabrasion the client uses gentle care for two weeks
      Given a client with no risk factors
      And the client's answers include:
        | question                    | answer |
        | Photosensitising medication | yes    |
      When the protocol is applied
      Then the planned technique is "Crystal microdermabrasion"
      And the aftercare includes "Gentle care after microdermabrasion" for 2 weeks because of AC-MDA-GENTLE

    @rule:AC-LASER-NON-ABLATIVE
    Scenario: After a non-ablative laser the client pauses actives for a week
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer                                    |
        | Pore causes        | excess sebum, congestion, elasticity loss |
        | Downtime tolerance | none                                      |
      When the protocol is applied
      Then the planned technique is "Nd:YAG 1064 nm laser"
      And the aftercare includes "Cool compresses and no actives after a non-ablative laser" for 1 week because of AC-LASER-NON-ABLATIVE

  Rule: Every plan carries the standing instructions before the first session

    @rule:REQ-NO-WAXING-BEFORE @rule:REQ-INJECTABLES-TIMING
    Scenario: A peel plan asks for no waxing and for injectables to be kept away from treatment days
      Given a client with no risk factors
      When the protocol is applied
      Then the plan includes the step "No waxing before treatment" because of REQ-NO-WAXING-BEFORE
      And the plan includes the step "Timing of injectables" because of REQ-INJECTABLES-TIMING

  Rule: Scar-prone, pigment-prone and allergic clients get extra tests and a longer washout

    @rule:REQ-TEST-SPOT-SCAR-PRONE
    Scenario: A keloid former has a test spot before the first session
      Given a client with no risk factors
      And the client's answers include:
        | question                        | answer |
        | Keloid or hypertrophic scarring | yes    |
      When the protocol is applied
      Then the plan includes the step "Test spot (scar-prone skin)" because of REQ-TEST-SPOT-SCAR-PRONE
      And the first session may not be before 2026-11-27

    @rule:REQ-RETINOID-WASHOUT-PIH
    Scenario: Darker skin washes a retinoid out for two weeks before a peel
      Given a client with no risk factors
      And the client's answers include:
        | question                  | answer                       |
        | Fitzpatrick skin type     | 5                            |
        | Last topical retinoid use | 3 days before the assessment |
      When the protocol is applied
      Then the plan includes the step "Topical retinoid washout (pigment-prone skin)" because of REQ-RETINOID-WASHOUT-PIH
      And the plan includes the step "Topical retinoid washout" because of REQ-RETINOID-WASHOUT

    @rule:REQ-TEST-SPOT-SENSITIVE
    Scenario: Sensitive skin has a test spot before a fractional laser
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer          |
        | Pore causes | elasticity loss |
        | Skin type   | sensitive       |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And the plan includes the step "Test spot (sensitive skin)" because of REQ-TEST-SPOT-SENSITIVE
      And the first session may not be before 2026-11-27

    @rule:REQ-PATCH-TEST-SALICYLATE-ALLERGY
    Scenario: A client allergic to aspirin has a patch test before a glycolic peel
      Given a client with no risk factors
      And the client's answers include:
        | question                      | answer |
        | Salicylate or aspirin allergy | yes    |
      When the protocol is applied
      Then the planned technique is "Glycolic acid peel"
      And the plan includes the step "Patch test (aspirin allergy)" because of REQ-PATCH-TEST-SALICYLATE-ALLERGY
      And the first session may not be before 2026-11-27

  Rule: A medium-depth peel is primed, covered by an antiviral and followed by wound care

    @rule:REQ-PRIMING-MEDIUM-PEEL @rule:REQ-ANTIVIRAL-ABLATIVE @rule:AC-MEDIUM-PEEL-WOUND-CARE @rule:REQ-FOLLOW-UP-WOUND-CHECK
    Scenario: A medium-depth peel is prepared for two weeks and checked a week after
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer     |
        | Age                | 24         |
        | Pore causes        | sun damage |
        | Skin type          | normal     |
        | Downtime tolerance | extended   |
      When the protocol is applied
      Then the planned technique is "Medium-depth trichloroacetic acid peel"
      And the plan includes the step "Skin priming (medium-depth peel)" because of REQ-PRIMING-MEDIUM-PEEL
      And the plan includes the step "Antiviral prophylaxis" because of REQ-ANTIVIRAL-ABLATIVE
      And the first session may not be before 2026-12-09
      And the aftercare includes "Wound care after a medium-depth peel" for 2 weeks because of AC-MEDIUM-PEEL-WOUND-CARE
      And the plan includes the step "Wound check" because of REQ-FOLLOW-UP-WOUND-CHECK

  Rule: Ablative resurfacing adds antibacterial cover, strict sun avoidance and a wound check

    @rule:REQ-ANTIBIOTIC-ABLATIVE @rule:AC-SUN-FRACTIONAL-LASER @rule:REQ-FOLLOW-UP-WOUND-CHECK
    Scenario: Ablative resurfacing is covered against infection and followed by two months of sun avoidance
      Given a client with no risk factors
      And the client's answers include:
        | question           | answer                      |
        | Age                | 55                          |
        | Pore causes        | elasticity loss, sun damage |
        | Skin type          | normal                      |
        | Downtime tolerance | extended                    |
      When the protocol is applied
      Then the planned technique is "Ablative fractional laser"
      And the plan includes the step "Antibacterial and antifungal cover" because of REQ-ANTIBIOTIC-ABLATIVE
      And the aftercare includes "Strict sun avoidance after a fractional laser" for 2 months because of AC-SUN-FRACTIONAL-LASER
      And the plan includes the step "Wound check" because of REQ-FOLLOW-UP-WOUND-CHECK

  Rule: Habits that slow healing or cause bruising are paused before treatment

    @rule:REQ-STOP-SMOKING @rule:AC-NO-SMOKING-AFTER
    Scenario: A smoker stops two weeks before a fractional laser and while the skin heals
      Given a client with no risk factors
      And the client's answers include:
        | question    | answer          |
        | Pore causes | elasticity loss |
        | Smoker      | yes             |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And the plan includes the step "Stop smoking" because of REQ-STOP-SMOKING
      And the first session may not be before 2026-12-09
      And the aftercare includes "No smoking after resurfacing" for 2 weeks because of AC-NO-SMOKING-AFTER

    @rule:REQ-STOP-SMOKING
    Scenario: Smoking does not delay a superficial peel
      Given a client with no risk factors
      And the client's answers include:
        | question | answer |
        | Smoker   | yes    |
      When the protocol is applied
      Then the planned technique is "Salicylic acid peel"
      And the plan does not include the step "Stop smoking"

    @rule:REQ-STOP-ELECTIVE-BLOOD-THINNERS
    Scenario: Non-prescribed blood thinners are paused ten days before a laser
      Given a client with no risk factors
      And the client's answers include:
        | question                                               | answer          |
        | Pore causes                                            | elasticity loss |
        | Non-prescribed blood-thinning medicines or supplements | yes             |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And the plan includes the step "Pause non-prescribed blood thinners" because of REQ-STOP-ELECTIVE-BLOOD-THINNERS
      And the first session may not be before 2026-12-05

  Rule: Aftercare for peels, microdermabrasion and pigment-prone skin

    @rule:AC-PEEL-NO-HEAT @rule:AC-NO-WAXING-AFTER
    Scenario: After a peel the client avoids heat for two days and waxing for two weeks
      Given a client with no risk factors
      When the protocol is applied
      Then the aftercare includes "No sauna, hot tub or strenuous exercise after a peel" for 2 days because of AC-PEEL-NO-HEAT
      And the aftercare includes "No waxing or depilation in the area after a peel or microdermabrasion" for 2 weeks because of AC-NO-WAXING-AFTER

    @rule:AC-SUN-ND-YAG-MDA @rule:AC-NO-WAXING-AFTER
    Scenario: After microdermabrasion the client uses sunscreen and does not tan for four weeks
      Given a client with no risk factors
      And the client's answers include:
        | question                    | answer |
        | Photosensitising medication | yes    |
      When the protocol is applied
      Then the planned technique is "Crystal microdermabrasion"
      And the aftercare includes "Daily sunscreen and no tanning after Nd:YAG or microdermabrasion" for 4 weeks because of AC-SUN-ND-YAG-MDA
      And the aftercare includes "No waxing or depilation in the area after a peel or microdermabrasion" for 2 weeks because of AC-NO-WAXING-AFTER

    @rule:AC-HYDROQUINONE-AFTER-PEEL
    Scenario: Pigment-prone skin resumes hydroquinone after each peel
      Given a client with no risk factors
      And the client's answers include:
        | question              | answer |
        | Fitzpatrick skin type | 5      |
      When the protocol is applied
      Then the planned technique is "Salicylic acid peel"
      And the aftercare includes "Resume hydroquinone after a peel when pigment risk is high" for 4 weeks because of AC-HYDROQUINONE-AFTER-PEEL

    @rule:AC-HYDROQUINONE-AFTER-NAFL
    Scenario: Pigment-prone skin pauses hydroquinone for a week after a fractional laser
      Given a client with no risk factors
      And the client's answers include:
        | question              | answer          |
        | Fitzpatrick skin type | 5               |
        | Pore causes           | elasticity loss |
      When the protocol is applied
      Then the planned technique is "Non-ablative fractional laser"
      And the aftercare includes "Pause hydroquinone for a week after a fractional laser, then resume it" for 5 weeks because of AC-HYDROQUINONE-AFTER-NAFL

