Feature: Missing information
  An unanswered question means "unknown", never "no". A technique whose safety depends on an
  unanswered question is never offered. While any question that could change the plan is
  open, the plan names no technique to act on: it lists the questions, the ones that hold back
  the most techniques first, and the rules that need each answer.

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

  Rule: Nothing is offered to a client about whom nothing is known, and the decisive questions come first

    @rule:CI-ACTIVE-INFECTION @rule:CI-PREGNANCY-BREASTFEEDING-DEFER @rule:CI-MINIMUM-AGE
    Scenario: A client who has only given the assessment date is asked the age, the pore cause and the screening questions, and nothing is planned
      Given a client who has only given the assessment date
      When the protocol is applied
      Then the plan status is "needs information"
      And the plan chooses "no technique"
      And the plan asks first for "Age"
      And the plan asks for "Pore causes" because of SUIT-CAUSE-SEBUM-SALICYLIC
      And the plan asks for "Age" because of CI-MINIMUM-AGE
      And the plan asks for "Active infection in the area" because of CI-ACTIVE-INFECTION
      And the plan asks for "Sex at birth" because of CI-PREGNANCY-BREASTFEEDING-DEFER
      And the plan includes the step "Consultation and consent" because of REQ-CONSULTATION

    @rule:CI-PREGNANCY-BREASTFEEDING-DEFER
    Scenario: A client who answered only the first five questions gets questions, not a technique
      Given a client who has only given the assessment date
      And the client's answers include:
        | question     | answer                   |
        | Age          | 34                       |
        | Pore causes  | excess sebum, congestion |
        | Sex at birth | female                   |
        | Pregnant     | no                       |
      When the protocol is applied
      Then the plan status is "needs information"
      And the plan chooses "no technique"
      And the plan asks for "Breastfeeding" because of CI-PREGNANCY-BREASTFEEDING-DEFER

  Rule: The pregnancy questions are asked only when they can apply

    @rule:CI-PREGNANCY-BREASTFEEDING-DEFER
    Scenario: An intersex client who left the pregnancy questions blank is asked them, and nothing is planned meanwhile
      Given the client's answers include:
        | question      | answer     |
        | Sex at birth  | intersex   |
        | Pregnant      | unanswered |
        | Breastfeeding | unanswered |
      When the protocol is applied
      Then the plan status is "needs information"
      And the plan chooses "no technique"
      And the plan asks for "Pregnant" because of CI-PREGNANCY-BREASTFEEDING-DEFER
      And "Salicylic acid peel" is waiting for "Pregnant" because of CI-PREGNANCY-BREASTFEEDING-DEFER

    @rule:CI-PREGNANCY-BREASTFEEDING-DEFER
    Scenario: A breastfeeding client is not asked whether she is pregnant
      Given the client's answers include:
        | question      | answer     |
        | Breastfeeding | yes        |
        | Pregnant      | unanswered |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-PREGNANCY-BREASTFEEDING-DEFER
      And the plan does not ask for "Pregnant"

  Rule: An unanswered safety question holds back the techniques it concerns

    @rule:AG-SALICYLATE-ALLERGY @rule:REQ-PATCH-TEST-SALICYLATE-ALLERGY
    Scenario: An unanswered allergy question holds back every peel and asks about the allergy
      Given the client's answers include:
        | question                      | answer     |
        | Salicylate or aspirin allergy | unanswered |
      When the protocol is applied
      Then the plan status is "needs information"
      And the plan chooses "no technique"
      And "Salicylic acid peel" is waiting for "Salicylate or aspirin allergy" because of AG-SALICYLATE-ALLERGY
      And "Glycolic acid peel" is waiting for "Salicylate or aspirin allergy" because of REQ-PATCH-TEST-SALICYLATE-ALLERGY

    @rule:DER-PIH-HIGH @rule:REQ-TEST-SPOT-PIGMENT
    Scenario: An unknown Fitzpatrick type leaves the pigmentation risk unknown and holds back treatment
      Given the client's answers include:
        | question              | answer     |
        | Fitzpatrick skin type | unanswered |
      When the protocol is applied
      Then the plan status is "needs information"
      And the plan asks for "Fitzpatrick skin type" because of DER-PIH-HIGH
      And the plan asks for "Fitzpatrick skin type" because of REQ-TEST-SPOT-PIGMENT
      And the plan chooses "no technique"

    @rule:CI-DIABETES-UNCONTROLLED @rule:CI-DIABETES-RESURFACING
    Scenario: An unanswered diabetes question holds back every technique
      Given the client's answers include:
        | question | answer     |
        | Diabetes | unanswered |
      When the protocol is applied
      Then the plan status is "needs information"
      And the plan asks for "Diabetes" because of CI-DIABETES-UNCONTROLLED
      And "Ablative fractional laser" is waiting for "Diabetes" because of CI-DIABETES-RESURFACING
      And the plan chooses "no technique"

    @rule:SEQ-GAP-AFTER-TOXIN
    Scenario: An unanswered question about botulinum toxin holds back the start of treatment
      Given the client's answers include:
        | question                       | answer     |
        | Last botulinum toxin injection | unanswered |
      When the protocol is applied
      Then the plan status is "needs information"
      And "Salicylic acid peel" is waiting for "Last botulinum toxin injection" because of SEQ-GAP-AFTER-TOXIN
      And the plan chooses "no technique"

    @rule:CI-PHOTOSENSITISER-ANTIBIOTIC
    Scenario: A photosensitising antibiotic without the date of the last dose holds back peels and lasers
      Given the client's answers include:
        | question                                                     | answer     |
        | Photosensitising medicines                                   | antibiotic |
        | Last dose of a photosensitising antibiotic or other medicine | unanswered |
      When the protocol is applied
      Then the plan status is "needs information"
      And the plan asks for "Last dose of a photosensitising antibiotic or other medicine" because of CI-PHOTOSENSITISER-ANTIBIOTIC
      And "Salicylic acid peel" is waiting for "Last dose of a photosensitising antibiotic or other medicine" because of CI-PHOTOSENSITISER-ANTIBIOTIC

  Rule: An answer that cannot change the outcome is not asked for

    @rule:CI-PHOTOSENSITISER-ANTIBIOTIC
    Scenario: A client who takes no photosensitising medicine is not asked when she last took one
      Given the client's answers include:
        | question                                                     | answer     |
        | Last dose of a photosensitising antibiotic or other medicine | unanswered |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan does not ask for "Last dose of a photosensitising antibiotic or other medicine"

    @rule:CI-ACTIVE-INFECTION
    Scenario: Nothing more is asked when every technique is ruled out anyway
      Given the client's answers include:
        | question                     | answer     |
        | Active infection in the area | yes        |
        | Skin type                    | unanswered |
      When the protocol is applied
      Then the plan status is "not suitable"
      And the plan does not ask for "Skin type"
