Feature: Returning clients
  A client part-way through a course continues it rather than starting again, as long as the
  technique is still safe and indicated. How the skin reacted to the last session of a
  technique is recorded with it: prolonged redness or lasting dark marks make the next session
  of that technique a reviewed one (and, after a peel, any peel acid), blistering or scarring stops the protocol until a
  dermatologist has assessed it, and a course that did not work is not simply repeated.

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

  Rule: A course in progress continues where it stopped, from its last session

    @rule:REQ-VISIT-CHECK
    Scenario: A client who had two of four salicylic peels continues with sessions three and four after a visit check
      Given the client had a "Salicylic acid peel" 4 weeks before the assessment
      And the client had a "Salicylic acid peel" 2 weeks before the assessment
      And the client would like to start on 2026-12-01
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Salicylic acid peel"
      And the plan includes the step "Visit check" because of REQ-VISIT-CHECK
      And the plan does not include the step "Consultation and consent"
      And the first session is on 2026-12-01

  Rule: A reaction to the last session of a technique makes the next one a reviewed session

    @rule:CI-PREVIOUS-REACTION-SALICYLIC @rule:REQ-TEST-SPOT-AFTER-REACTION
    Scenario: Prolonged redness after the second of four salicylic peels: the course continues after review and a test spot, at gentler settings
      Given the client had a "Salicylic acid peel" 4 weeks before the assessment
      And the client had a "Salicylic acid peel" 2 weeks before the assessment, which left prolonged redness
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-PREVIOUS-REACTION-SALICYLIC
      And the plan cautions about "Salicylic acid peel" because of AG-PEEL-REACTION-ACIDS
      And the plan includes the step "Test spot after a reaction" because of REQ-TEST-SPOT-AFTER-REACTION
      And the first session may not be before 2026-11-27

    @rule:CI-PREVIOUS-REACTION-GLYCOLIC @rule:AG-PEEL-REACTION-ACIDS
    Scenario: Dark marks that lasted after a glycolic peel: every acid peel needs review, so microdermabrasion, which applies no acid, comes first
      Given the client's answers include:
        | question                      | answer |
        | History of lasting dark marks | yes    |
      And the client had a "Glycolic acid peel" 7 months before the assessment, which left lasting dark marks
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Diamond-tip microdermabrasion"
      And "Glycolic acid peel" has a caution from CI-PREVIOUS-REACTION-GLYCOLIC
      And "Glycolic acid peel" has a caution from AG-PEEL-REACTION-ACIDS
      And "Salicylic acid peel" has a caution from AG-PEEL-REACTION-ACIDS
      And "Hydradermabrasion" has a caution from AG-PEEL-REACTION-ACIDS
      And the plan includes the step "Test spot" because of REQ-TEST-SPOT-PIGMENT

    @rule:AG-PEEL-REACTION-ACIDS @rule:REQ-PRIMING-PIH-PEEL
    Scenario: After dark marks from a glycolic peel, the practitioner's salicylic peel is reviewed, primed and test-spotted
      Given the client's answers include:
        | question                      | answer |
        | History of lasting dark marks | yes    |
      And the client had a "Glycolic acid peel" 7 months before the assessment, which left lasting dark marks
      And the practitioner asks for "Salicylic acid peel"
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of AG-PEEL-REACTION-ACIDS
      And the plan includes the step "Test spot" because of REQ-TEST-SPOT-PIGMENT
      And the plan includes the step "Skin priming with hydroquinone" because of REQ-PRIMING-PIH-PEEL

    @rule:CI-PREVIOUS-REACTION-SALICYLIC @rule:AG-PEEL-REACTION-ACIDS
    Scenario: Dark marks that lasted after a salicylic peel: the other acid peels need review too, and a mandelic peel ranks above another salicylic one
      Given the client's answers include:
        | question                      | answer |
        | History of lasting dark marks | yes    |
      And the client had a "Salicylic acid peel" 7 months before the assessment, which left lasting dark marks
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Diamond-tip microdermabrasion"
      And "Mandelic acid peel" has a caution from AG-PEEL-REACTION-ACIDS
      And "Mandelic acid peel" is ranked above "Salicylic acid peel" because it has fewer cautions

    @rule:CI-PREVIOUS-REACTION-MANDELIC @rule:CI-PREVIOUS-REACTION-LACTIC @rule:CI-PREVIOUS-REACTION-MEDIUM-PEEL @rule:CI-PREVIOUS-REACTION-CRYSTAL-MDA @rule:CI-PREVIOUS-REACTION-DIAMOND-MDA @rule:CI-PREVIOUS-REACTION-NAFL @rule:CI-PREVIOUS-REACTION-ND-YAG @rule:CI-PREVIOUS-REACTION-ABLATIVE @rule:CI-PREVIOUS-REACTION-JESSNER @rule:CI-PREVIOUS-REACTION-HYDRADERMABRASION
    Scenario Outline: Prolonged redness after a <technique> session seven months ago needs review before the next <technique>
      Given the client had a "<technique>" 7 months before the assessment, which left prolonged redness
      When the protocol is applied
      Then "<technique>" has a caution from <rule>

      Examples:
        | technique                              | rule                                   |
        | Mandelic acid peel                     | CI-PREVIOUS-REACTION-MANDELIC          |
        | Lactic acid peel                       | CI-PREVIOUS-REACTION-LACTIC            |
        | Medium-depth trichloroacetic acid peel | CI-PREVIOUS-REACTION-MEDIUM-PEEL       |
        | Crystal microdermabrasion              | CI-PREVIOUS-REACTION-CRYSTAL-MDA       |
        | Diamond-tip microdermabrasion          | CI-PREVIOUS-REACTION-DIAMOND-MDA       |
        | Non-ablative fractional laser          | CI-PREVIOUS-REACTION-NAFL              |
        | Nd:YAG 1064 nm laser                   | CI-PREVIOUS-REACTION-ND-YAG            |
        | Ablative fractional laser              | CI-PREVIOUS-REACTION-ABLATIVE          |
        | Jessner's solution peel                | CI-PREVIOUS-REACTION-JESSNER           |
        | Hydradermabrasion                      | CI-PREVIOUS-REACTION-HYDRADERMABRASION |

    @rule:CI-PREVIOUS-BLISTERING
    Scenario: A peel that blistered last month stops the protocol until a dermatologist has assessed the healing
      Given the client had a "Glycolic acid peel" 1 month before the assessment, which left blistering or scarring
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-PREVIOUS-BLISTERING
      And "Non-ablative fractional laser" is excluded because of CI-PREVIOUS-BLISTERING
      And the plan names no date to reconsider

  Rule: A course that did not work is not simply repeated

    @rule:SUIT-NAFL-INADEQUATE-AGAINST
    Scenario: A non-responder to a fractional laser course who accepts little downtime gets Nd:YAG, not the same laser again
      Given the client's answers include:
        | question    | answer          |
        | Age         | 55              |
        | Pore causes | elasticity loss |
        | Skin type   | normal          |
      And the client had a "Non-ablative fractional laser" 6 months before the assessment
      And the client had a "Non-ablative fractional laser" 5 months before the assessment, with the result "inadequate"
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Nd:YAG 1064 nm laser"
      And "Non-ablative fractional laser" has an argument against it from SUIT-NAFL-INADEQUATE-AGAINST
