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
        | question                  | answer                        |
        | Last topical retinoid use | 2 days before the assessment |
      When the protocol is applied
      Then the plan includes the step "Topical retinoid washout" because of REQ-RETINOID-WASHOUT
      And the first session may not be before 2026-11-30

    @rule:REQ-RETINOID-WASHOUT
    Scenario: A retinoid stopped a month ago needs no washout
      Given a client with no risk factors
      And the client's answers include:
        | question                  | answer                          |
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
        | question           | answer |
        | Cold sore history  | yes    |
      When the protocol is applied
      Then the plan includes the step "Antiviral prophylaxis (cold sore history)" because of REQ-ANTIVIRAL-HSV-HISTORY

  Rule: Aftercare follows each technique, for a stated time

    @rule:AC-SUNSCREEN @rule:AC-PEEL-NO-PICKING
    Scenario: After a peel the client protects the skin from the sun and lets it shed
      Given a client with no risk factors
      When the protocol is applied
      Then the aftercare includes "Daily broad-spectrum sunscreen" for 4 weeks because of AC-SUNSCREEN
      And the aftercare includes "Do not pick or scrub peeling skin; pause actives" for 1 week because of AC-PEEL-NO-PICKING

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
        | question             | answer |
        | Eczema or dermatitis | yes    |
      When the protocol is applied
      Then the planned technique is "Nd:YAG 1064 nm laser"
      And the aftercare includes "Cool compresses and no actives after a non-ablative laser" for 1 week because of AC-LASER-NON-ABLATIVE
