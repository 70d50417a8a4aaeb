Feature: Sequencing and timing
  Sessions follow their technique's interval, a course waits long enough after a previous
  treatment, an injection or waxing, nothing is done on a session day that would deepen the
  treatment, and no exfoliation is added before a treatment that does not need it.

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

  Rule: A course waits after a recent resurfacing treatment

    @rule:SEQ-GAP-AFTER-RESURFACING
    Scenario: A peel one week ago delays the first session to two weeks after that peel
      Given the client had a "Salicylic acid peel" 1 week before the assessment
      And the client would like to start on 2026-11-26
      When the protocol is applied
      Then the first session may not be before 2026-12-02
      And the first session is on 2026-12-02

    @rule:SEQ-GAP-AFTER-RESURFACING
    Scenario: A peel two months ago does not delay the course
      Given the client had a "Glycolic acid peel" 2 months before the assessment
      And the client would like to start on 2026-11-26
      When the protocol is applied
      Then the first session is on 2026-11-26

    @rule:SEQ-GAP-AFTER-ABLATIVE
    Scenario: Ablative resurfacing three weeks ago delays a peel to four weeks after it
      Given the client had a "Ablative fractional laser" 3 weeks before the assessment
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the first session may not be before 2026-12-02

    @rule:SEQ-GAP-AFTER-MDA
    Scenario: Switching from microdermabrasion ten days ago to a peel waits two weeks after it
      Given the client had a "Diamond-tip microdermabrasion" 10 days before the assessment
      And the practitioner asks for "Salicylic acid peel"
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the first session may not be before 2026-11-29

    @rule:SEQ-GAP-AFTER-ND-YAG
    Scenario: Switching from an Nd:YAG session a week ago to a peel waits two weeks after it
      Given the client had a "Nd:YAG 1064 nm laser" 1 week before the assessment
      And the practitioner asks for "Salicylic acid peel"
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the first session may not be before 2026-12-02

    @rule:SEQ-GAP-AFTER-NAFL
    Scenario: A fractional laser a week ago delays a peel to four weeks after it
      Given the client had a "Non-ablative fractional laser" 1 week before the assessment
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the first session may not be before 2026-12-16

    @rule:SEQ-GAP-AFTER-MEDIUM-PEEL
    Scenario: A medium-depth peel four weeks ago delays the next treatment to six weeks after it
      Given the client had a "Medium-depth trichloroacetic acid peel" 4 weeks before the assessment
      When the protocol is applied
      Then the first session may not be before 2026-12-09

  Rule: A new course of the same technique keeps the technique's own minimum interval

    @rule:SEQ-REPEAT-NAFL
    Scenario: A fractional laser session a week ago: the next one is not before two weeks after it
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      And the client had a "Non-ablative fractional laser" 1 week before the assessment, with the result "not assessed"
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And the first session may not be before 2026-12-02

    @rule:SEQ-REPEAT-ABLATIVE
    Scenario: Ablative resurfacing, when the practitioner chooses it, waits eight weeks after the last ablative session
      Given the client's answers include:
        | question           | answer          |
        | Age                | 55              |
        | Pore causes        | elasticity loss |
        | Skin type          | normal          |
        | Downtime tolerance | extended        |
      And the client had a "Ablative fractional laser" 5 weeks before the assessment
      And the practitioner asks for "Ablative fractional laser"
      When the protocol is applied
      Then the plan chooses "Ablative fractional laser"
      And the first session may not be before 2026-12-16

    @rule:SEQ-REPEAT-MEDIUM-PEEL
    Scenario: A medium-depth peel, when the practitioner chooses it, waits three months after the last one
      Given the client's answers include:
        | question           | answer     |
        | Age                | 45         |
        | Pore causes        | sun damage |
        | Skin type          | normal     |
        | Downtime tolerance | extended   |
      And the client had a "Medium-depth trichloroacetic acid peel" 1 month before the assessment
      And the practitioner asks for "Medium-depth trichloroacetic acid peel"
      When the protocol is applied
      Then the plan chooses "Medium-depth trichloroacetic acid peel"
      And the first session may not be before 2027-01-25

  Rule: Sessions keep to the technique's interval

    @rule:SUIT-CAUSE-SEBUM-SALICYLIC
    Scenario: Salicylic acid peels are dated two weeks apart from the requested start
      Given the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the first session is on 2026-12-01
      And the sessions are 2 weeks apart

  Rule: Injectables and hair removal in the weeks before delay the first session

    @rule:SEQ-GAP-AFTER-TOXIN
    Scenario: Botulinum toxin a week ago delays the first session to two weeks after the injection
      Given the client's answers include:
        | question                       | answer                       |
        | Last botulinum toxin injection | 1 week before the assessment |
      When the protocol is applied
      Then the first session may not be before 2026-12-02

    @rule:SEQ-GAP-AFTER-FILLER
    Scenario: A filler ten days ago and a wish to start next week: the first session is booked on the requested day, which is already safe
      Given the client's answers include:
        | question                     | answer                        |
        | Last dermal filler injection | 10 days before the assessment |
      And the client would like to start on 2026-11-30
      When the protocol is applied
      Then the plan status is "ready"
      And the first session may not be before 2026-11-29
      And the first session is on 2026-11-30

    @rule:SEQ-GAP-AFTER-FILLER
    Scenario: A filler ten days ago moves a start requested too early to two weeks after the injection
      Given the client's answers include:
        | question                     | answer                        |
        | Last dermal filler injection | 10 days before the assessment |
      And the client would like to start on 2026-11-27
      When the protocol is applied
      Then the first session is on 2026-11-29

    @rule:SEQ-GAP-AFTER-WAXING
    Scenario: Waxing three days ago delays the first peel to two weeks after it
      Given the client's answers include:
        | question                         | answer                        |
        | Last facial waxing or depilation | 3 days before the assessment  |
      When the protocol is applied
      Then the plan chooses "Salicylic acid peel"
      And the first session may not be before 2026-12-06

    @rule:SEQ-GAP-AFTER-WAXING
    Scenario: Waxing does not delay a laser
      Given the client's answers include:
        | question                         | answer                        |
        | Age                              | 55                            |
        | Pore causes                      | elasticity loss               |
        | Skin type                        | normal                        |
        | Last facial waxing or depilation | 3 days before the assessment  |
      And the client would like to start on 2026-11-26
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And the first session is on 2026-11-26

  Rule: No separate exfoliation is planned: peels and microdermabrasion exfoliate, and lasers do not need it

    @rule:SEQ-SKIP-EXFOLIATION-EXFOLIANT
    Scenario: No separate exfoliation before a peel
      When the protocol is applied
      Then the exfoliation phase is skipped because of SEQ-SKIP-EXFOLIATION-EXFOLIANT

    @rule:SEQ-SKIP-EXFOLIATION-LASER
    Scenario: No enzyme exfoliation before a fractional laser, even in pigment-prone skin
      Given the client's answers include:
        | question              | answer          |
        | Age                   | 50              |
        | Fitzpatrick skin type | 4               |
        | Pore causes           | elasticity loss |
        | Skin type             | normal          |
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And the exfoliation phase is skipped because of SEQ-SKIP-EXFOLIATION-LASER
      And the plan does not include the step "Gentle enzyme exfoliation"

  Rule: Treatments that deepen one another are not combined on the same day

    @rule:SEQ-NOT-SAME-DAY-PEEL-MDA
    Scenario: Every peel session says it is not combined with another peel or microdermabrasion that day
      When the protocol is applied
      Then every treatment session names the rule SEQ-NOT-SAME-DAY-PEEL-MDA

    @rule:SEQ-NOT-SAME-DAY-NAFL-PEEL
    Scenario: Every fractional laser session says no peel that day
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      When the protocol is applied
      Then the plan chooses "Non-ablative fractional laser"
      And every treatment session names the rule SEQ-NOT-SAME-DAY-NAFL-PEEL

    @rule:SEQ-NOT-SAME-DAY-ABLATIVE
    Scenario: Every ablative session says no peel or microdermabrasion that day
      Given the client's answers include:
        | question           | answer          |
        | Age                | 55              |
        | Pore causes        | elasticity loss |
        | Skin type          | normal          |
        | Downtime tolerance | extended        |
      And the practitioner asks for "Ablative fractional laser"
      When the protocol is applied
      Then the plan chooses "Ablative fractional laser"
      And every treatment session names the rule SEQ-NOT-SAME-DAY-ABLATIVE
      And the exfoliation phase is skipped because of SEQ-SKIP-EXFOLIATION-LASER

    @rule:SEQ-NOT-SAME-DAY-MEDIUM-PEEL
    Scenario: Every medium-depth peel session says nothing else that day apart from its own pre-step
      Given the client's answers include:
        | question           | answer     |
        | Age                | 45         |
        | Pore causes        | sun damage |
        | Skin type          | normal     |
        | Downtime tolerance | extended   |
      And the practitioner asks for "Medium-depth trichloroacetic acid peel"
      When the protocol is applied
      Then the plan chooses "Medium-depth trichloroacetic acid peel"
      And every treatment session names the rule SEQ-NOT-SAME-DAY-MEDIUM-PEEL
      And the plan includes the step "Pre-step at each session: Jessner's solution" because of REQ-TCA-PRE-STEP
