Feature: Contraindications
  A technique with an absolute contraindication is never planned. A relative
  contraindication allows the technique only after a practitioner has reviewed it, so the
  plan's status is "needs review" and it says what to review. A contraindicated agent
  (hydroquinone, a retinoid, salicylic acid...) is kept out of every step: the technique that
  needs it is excluded, or its step is replaced by the declared alternative.

  The baseline client below has oily skin with pores from excess sebum and congestion and no
  risk factor: a salicylic acid peel, ready. Each scenario changes only the answers it shows.

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

  Rule: Infection, broken skin, a suspicious lesion and unrealistic expectations rule out every technique

    @rule:CI-ACTIVE-INFECTION
    Scenario: A client with an active cold sore is not treated until it has healed
      Given the client's answers include:
        | question                     | answer |
        | Active infection in the area | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-ACTIVE-INFECTION
      And "Diamond-tip microdermabrasion" is excluded because of CI-ACTIVE-INFECTION
      And the plan chooses "no technique"

    @rule:CI-OPEN-WOUNDS
    Scenario: A client with broken skin in the area is not treated
      Given the client's answers include:
        | question    | answer |
        | Open wounds | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-OPEN-WOUNDS
      And "Nd:YAG 1064 nm laser" is excluded because of CI-OPEN-WOUNDS

    @rule:CI-SKIN-CANCER
    Scenario: A suspicious lesion in the area is referred rather than treated
      Given the client's answers include:
        | question                                     | answer |
        | Skin cancer or suspicious lesion in the area | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-SKIN-CANCER
      And "Non-ablative fractional laser" is excluded because of CI-SKIN-CANCER

    @rule:CI-EXPECTATIONS
    Scenario: A client who cannot follow the aftercare is not treated
      Given the client's answers include:
        | question                                               | answer |
        | Unrealistic expectations or unable to follow aftercare | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Mandelic acid peel" is excluded because of CI-EXPECTATIONS

  Rule: Pregnancy and breastfeeding defer every technique, and no step may use hydroquinone, a retinoid or a peel acid

    @rule:CI-PREGNANCY-BREASTFEEDING-DEFER @rule:AG-PREGNANCY-BREASTFEEDING
    Scenario: A pregnant client is offered no technique, not even a glycolic or lactic peel
      Given the client's answers include:
        | question | answer |
        | Pregnant | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And the plan chooses "no technique"
      And "Glycolic acid peel" is excluded because of CI-PREGNANCY-BREASTFEEDING-DEFER
      And "Lactic acid peel" is excluded because of CI-PREGNANCY-BREASTFEEDING-DEFER
      And "Salicylic acid peel" is excluded because AG-PREGNANCY-BREASTFEEDING rules out an agent it needs
      And the plan names no date to reconsider

    @rule:CI-PREGNANCY-BREASTFEEDING-DEFER
    Scenario: A breastfeeding client is offered no technique
      Given the client's answers include:
        | question      | answer |
        | Breastfeeding | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Non-ablative fractional laser" is excluded because of CI-PREGNANCY-BREASTFEEDING-DEFER
      And "Diamond-tip microdermabrasion" is excluded because of CI-PREGNANCY-BREASTFEEDING-DEFER

    @rule:CI-PREGNANCY-BREASTFEEDING-DEFER
    Scenario: A man is not asked about pregnancy and gets his peel
      Given the client's answers include:
        | question      | answer     |
        | Sex at birth  | male       |
        | Age           | 35         |
        | Pregnant      | unanswered |
        | Breastfeeding | unanswered |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Salicylic acid peel"
      And the plan does not ask for "Pregnant"
      And the plan does not ask for "Breastfeeding"

  Rule: Under 12 nothing is offered; from 12 to 17 only a reviewed salicylic, glycolic or mandelic peel, with a guardian's consent

    @rule:CI-MINIMUM-AGE
    Scenario: A ten-year-old is offered no technique
      Given the client's answers include:
        | question | answer |
        | Age      | 10     |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-MINIMUM-AGE
      And "Mandelic acid peel" is excluded because of CI-MINIMUM-AGE
      And the plan chooses "no technique"

    @rule:CI-MINOR-REVIEW @rule:REQ-GUARDIAN-CONSENT @rule:CI-MINOR-OTHER-TECHNIQUES
    Scenario: A fifteen-year-old with oily, congested pores gets a reviewed salicylic peel with a guardian's consent
      Given the client's answers include:
        | question | answer |
        | Age      | 15     |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-MINOR-REVIEW
      And the plan includes the step "Guardian consent and the minor's assent" because of REQ-GUARDIAN-CONSENT
      And "Diamond-tip microdermabrasion" is excluded because of CI-MINOR-OTHER-TECHNIQUES
      And "Nd:YAG 1064 nm laser" is excluded because of CI-MINOR-OTHER-TECHNIQUES
      And "Jessner's solution peel" is excluded because of CI-MINOR-OTHER-TECHNIQUES

    @rule:CI-MINOR-DEEP
    Scenario: A seventeen-year-old with sun-damaged pores is offered no technique: no deep wounding and no laser under 18
      Given the client's answers include:
        | question           | answer     |
        | Age                | 17         |
        | Pore causes        | sun damage |
        | Skin type          | normal     |
        | Downtime tolerance | extended   |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Medium-depth trichloroacetic acid peel" is excluded because of CI-MINOR-DEEP
      And "Ablative fractional laser" is excluded because of CI-MINOR-DEEP
      And "Non-ablative fractional laser" is excluded because of CI-MINOR-OTHER-TECHNIQUES

  Rule: Recent isotretinoin rules out deep wounding for six months; other techniques go ahead with conservative settings

    @rule:CI-ISOTRETINOIN-ABLATIVE
    Scenario: Isotretinoin three months ago rules out ablative resurfacing and medium peels until six months after the last dose
      Given the client's answers include:
        | question                    | answer                         |
        | Last oral isotretinoin dose | 3 months before the assessment |
      When the protocol is applied
      Then "Ablative fractional laser" is excluded because of CI-ISOTRETINOIN-ABLATIVE
      And "Medium-depth trichloroacetic acid peel" is excluded because of CI-ISOTRETINOIN-ABLATIVE
      And "Ablative fractional laser" may be reconsidered from 2027-02-25

    @rule:CI-ISOTRETINOIN-SUPERFICIAL-REVIEW
    Scenario: A salicylic peel three months after isotretinoin goes ahead after review with conservative settings
      Given the client's answers include:
        | question                    | answer                         |
        | Last oral isotretinoin dose | 3 months before the assessment |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-ISOTRETINOIN-SUPERFICIAL-REVIEW

    @rule:CI-ISOTRETINOIN-LASER-YEAR
    Scenario: Isotretinoin eight months ago asks for review of ablative resurfacing only; the non-ablative fractional laser is ready
      Given the client's answers include:
        | question                    | answer                         |
        | Age                         | 50                             |
        | Pore causes                 | elasticity loss                |
        | Skin type                   | normal                         |
        | Downtime tolerance          | extended                       |
        | Last oral isotretinoin dose | 8 months before the assessment |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Non-ablative fractional laser"
      And "Ablative fractional laser" has a caution from CI-ISOTRETINOIN-LASER-YEAR

  Rule: A tendency to keloids rules out every peel, microdermabrasion, Nd:YAG and ablative resurfacing

    @rule:CI-KELOID-PEELS-MDA @rule:CI-KELOID-ND-YAG
    Scenario: A keloid former with oily, congested pores is offered no technique
      Given the client's answers include:
        | question                        | answer |
        | Keloid or hypertrophic scarring | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-KELOID-PEELS-MDA
      And "Diamond-tip microdermabrasion" is excluded because of CI-KELOID-PEELS-MDA
      And "Nd:YAG 1064 nm laser" is excluded because of CI-KELOID-ND-YAG
      And "Non-ablative fractional laser" is not indicated for this pore cause

    @rule:CI-KELOID-NAFL-REVIEW
    Scenario: A keloid former with lax pores gets a non-ablative fractional laser after review and a test spot
      Given the client's answers include:
        | question                        | answer          |
        | Age                             | 52              |
        | Pore causes                     | elasticity loss |
        | Skin type                       | normal          |
        | Keloid or hypertrophic scarring | yes             |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Non-ablative fractional laser"
      And the plan cautions about "Non-ablative fractional laser" because of CI-KELOID-NAFL-REVIEW

  Rule: A salicylate allergy keeps salicylic acid out of every step

    @rule:AG-SALICYLATE-ALLERGY
    Scenario: A client allergic to aspirin gets a glycolic peel; salicylic, Jessner's and hydradermabrasion need salicylic acid
      Given the client's answers include:
        | question                      | answer |
        | Salicylate or aspirin allergy | yes    |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Glycolic acid peel"
      And "Salicylic acid peel" is excluded because AG-SALICYLATE-ALLERGY rules out an agent it needs
      And "Jessner's solution peel" is excluded because AG-SALICYLATE-ALLERGY rules out an agent it needs
      And "Hydradermabrasion" is excluded because AG-SALICYLATE-ALLERGY rules out an agent it needs
      And no step of the plan uses "Salicylic acid"

  Rule: A tan or sunburn defers every technique for six weeks; recent unprotected sun asks for review

    @rule:CI-TAN-SUNBURN
    Scenario: A tan three weeks ago defers every technique until six weeks after it
      Given the client's answers include:
        | question            | answer                        |
        | Last tan or sunburn | 3 weeks before the assessment |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-TAN-SUNBURN
      And "Salicylic acid peel" may be reconsidered from 2026-12-16
      And the plan may be reconsidered from 2026-12-16

    @rule:CI-TAN-SUNBURN
    Scenario: A tan five weeks ago still defers treatment: the window is six weeks, not four
      Given the client's answers include:
        | question            | answer                        |
        | Last tan or sunburn | 5 weeks before the assessment |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" may be reconsidered from 2026-12-02

    @rule:CI-SUN-EXPOSURE-PEELS @rule:CI-SUN-EXPOSURE-MDA @rule:CI-SUN-EXPOSURE-LASER
    Scenario: Unprotected sun a week ago asks for review of a peel, microdermabrasion and the lasers
      Given the client's answers include:
        | question                      | answer                       |
        | Last unprotected sun exposure | 1 week before the assessment |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-SUN-EXPOSURE-PEELS
      And "Diamond-tip microdermabrasion" has a caution from CI-SUN-EXPOSURE-MDA
      And "Nd:YAG 1064 nm laser" has a caution from CI-SUN-EXPOSURE-LASER

    @rule:CI-SUN-EXPOSURE-LASER
    Scenario: A sunny holiday without sunscreen a month ago asks for review of the lasers, so microdermabrasion without a caution comes first for lax pores
      Given the client's answers include:
        | question                      | answer                         |
        | Age                           | 55                             |
        | Pore causes                   | elasticity loss                |
        | Skin type                     | normal                         |
        | Last unprotected sun exposure | 1 month before the assessment  |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Diamond-tip microdermabrasion"
      And "Non-ablative fractional laser" has a caution from CI-SUN-EXPOSURE-LASER
      And "Diamond-tip microdermabrasion" is ranked above "Non-ablative fractional laser" because it has fewer cautions

    @rule:CI-SUN-EXPOSURE-MEDIUM-PEEL
    Scenario: Unprotected sun ten weeks ago asks for review of a medium-depth peel only
      Given the client's answers include:
        | question                      | answer                         |
        | Age                           | 55                             |
        | Pore causes                   | elasticity loss                |
        | Skin type                     | normal                         |
        | Last unprotected sun exposure | 10 weeks before the assessment |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Non-ablative fractional laser"
      And "Medium-depth trichloroacetic acid peel" has a caution from CI-SUN-EXPOSURE-MEDIUM-PEEL

  Rule: Photosensitising medicines rule out peels, lasers and hydradermabrasion for as long as each one needs

    @rule:CI-PHOTOSENSITISER-ANTIBIOTIC @rule:CI-PHOTOSENSITISER-MDA-REVIEW
    Scenario: A client still on doxycycline gets diamond-tip microdermabrasion after review; peels and lasers wait a week after the last dose
      Given the client's answers include:
        | question                                                     | answer              |
        | Photosensitising medicines                                   | antibiotic          |
        | Last dose of a photosensitising antibiotic or other medicine | the assessment date |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Diamond-tip microdermabrasion"
      And the plan cautions about "Diamond-tip microdermabrasion" because of CI-PHOTOSENSITISER-MDA-REVIEW
      And "Salicylic acid peel" is excluded because of CI-PHOTOSENSITISER-ANTIBIOTIC
      And "Hydradermabrasion" is excluded because of CI-PHOTOSENSITISER-ANTIBIOTIC
      And "Nd:YAG 1064 nm laser" may be reconsidered from 2026-12-02

    @rule:CI-PHOTOSENSITISER-OTHER
    Scenario: Another photosensitising medicine stopped a month ago rules out peels until three months after the last dose
      Given the client's answers include:
        | question                                                     | answer                         |
        | Photosensitising medicines                                   | other                          |
        | Last dose of a photosensitising antibiotic or other medicine | 1 month before the assessment  |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Diamond-tip microdermabrasion"
      And "Salicylic acid peel" is excluded because of CI-PHOTOSENSITISER-OTHER
      And "Salicylic acid peel" may be reconsidered from 2027-01-25

    @rule:CI-ST-JOHNS-WORT
    Scenario: St John's wort four weeks ago rules out peels and lasers until three months after the last dose
      Given the client's answers include:
        | question              | answer                        |
        | Last St John's wort   | 4 weeks before the assessment |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Diamond-tip microdermabrasion"
      And "Salicylic acid peel" is excluded because of CI-ST-JOHNS-WORT
      And "Salicylic acid peel" may be reconsidered from 2027-01-28

    @rule:CI-PHOTOSENSITISER-OESTROGEN
    Scenario: A client on the combined pill gets her salicylic peel after review of photoprotection
      Given the client's answers include:
        | question                   | answer    |
        | Photosensitising medicines | oestrogen |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-PHOTOSENSITISER-OESTROGEN

  Rule: Inflamed skin is not peeled or abraded, and no acid or retinoid reaches it

    @rule:CI-ECZEMA-DERMATITIS @rule:CI-DERMATITIS-LASER @rule:AG-ACTIVE-INFLAMMATION-ACIDS
    Scenario: Active dermatitis with congested pores: no technique is offered; treat the dermatitis first
      Given the client's answers include:
        | question             | answer |
        | Eczema or dermatitis | yes    |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-ECZEMA-DERMATITIS
      And "Hydradermabrasion" is excluded because AG-ACTIVE-INFLAMMATION-ACIDS rules out an agent it needs
      And "Nd:YAG 1064 nm laser" is excluded because of CI-DERMATITIS-LASER
      And "Non-ablative fractional laser" is not indicated for this pore cause

    @rule:CI-DERMATITIS-NAFL-REVIEW
    Scenario: Active dermatitis with lax pores: a non-ablative fractional laser after review
      Given the client's answers include:
        | question             | answer          |
        | Age                  | 50              |
        | Pore causes          | elasticity loss |
        | Skin type            | normal          |
        | Eczema or dermatitis | yes             |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Non-ablative fractional laser"
      And the plan cautions about "Non-ablative fractional laser" because of CI-DERMATITIS-NAFL-REVIEW

    @rule:CI-ROSACEA-ACTIVE-PEELS @rule:CI-ROSACEA-ACTIVE-MDA @rule:CI-ROSACEA-ACTIVE-REVIEW @rule:CI-ROSACEA-ACTIVE-ABLATIVE
    Scenario: Active rosacea rules out every peel and microdermabrasion; Nd:YAG needs review over a flare
      Given the client's answers include:
        | question           | answer      |
        | Pore causes        | congestion  |
        | Skin type          | combination |
        | Active rosacea     | yes         |
        | Rosacea-prone skin | yes         |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Nd:YAG 1064 nm laser"
      And the plan cautions about "Nd:YAG 1064 nm laser" because of CI-ROSACEA-ACTIVE-REVIEW
      And "Mandelic acid peel" is excluded because of CI-ROSACEA-ACTIVE-PEELS
      And "Hydradermabrasion" is excluded because of CI-ROSACEA-ACTIVE-PEELS
      And "Diamond-tip microdermabrasion" is excluded because of CI-ROSACEA-ACTIVE-MDA
      And "Ablative fractional laser" is excluded because of CI-ROSACEA-ACTIVE-ABLATIVE

    @rule:CI-ROSACEA-TENDENCY-REVIEW
    Scenario: Rosacea-prone skin without a flare gets a mandelic peel, ahead of a salicylic peel that needs review
      Given the client's answers include:
        | question              | answer      |
        | Fitzpatrick skin type | 3           |
        | Pore causes           | congestion  |
        | Skin type             | combination |
        | Rosacea-prone skin    | yes         |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Mandelic acid peel"
      And "Salicylic acid peel" has a caution from CI-ROSACEA-TENDENCY-REVIEW
      And "Mandelic acid peel" is ranked above "Salicylic acid peel" because it has fewer cautions

    @rule:CI-ACNE-REVIEW
    Scenario: Active acne asks for review of microdermabrasion and fractional lasers; the salicylic peel is ready
      Given the client's answers include:
        | question                 | answer |
        | Active inflammatory acne | yes    |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Salicylic acid peel"
      And "Diamond-tip microdermabrasion" has a caution from CI-ACNE-REVIEW

  Rule: Prescribed anticoagulants are never stopped: they rule out microdermabrasion and ask for review of lasers and medium peels

    @rule:CI-ANTICOAGULANT-MDA
    Scenario: A client on warfarin with congested pores gets a salicylic peel; microdermabrasion is excluded
      Given the client's answers include:
        | question          | answer |
        | Anticoagulant use | yes    |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Salicylic acid peel"
      And "Diamond-tip microdermabrasion" is excluded because of CI-ANTICOAGULANT-MDA
      And "Hydradermabrasion" is excluded because of CI-ANTICOAGULANT-MDA

    @rule:CI-ANTICOAGULANT-REVIEW
    Scenario: A 78-year-old on warfarin with lax pores gets a non-ablative fractional laser after review, not a medium peel
      Given the client's answers include:
        | question           | answer          |
        | Age                | 78              |
        | Pore causes        | elasticity loss |
        | Skin type          | dry             |
        | Downtime tolerance | extended        |
        | Anticoagulant use  | yes             |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Non-ablative fractional laser"
      And the plan cautions about "Non-ablative fractional laser" because of CI-ANTICOAGULANT-REVIEW
      And "Medium-depth trichloroacetic acid peel" has a caution from CI-ANTICOAGULANT-REVIEW

    @rule:AG-ANTICOAGULANT-ANTIFUNGAL @rule:AG-ANTICOAGULANT-ANTIBIOTIC
    Scenario: On warfarin, the practitioner's ablative laser gives no fluconazole, and an antibiotic only as agreed with the warfarin prescriber
      Given the client's answers include:
        | question           | answer          |
        | Age                | 62              |
        | Pore causes        | elasticity loss |
        | Skin type          | normal          |
        | Downtime tolerance | extended        |
        | Anticoagulant use  | yes             |
      And the practitioner asks for "Ablative fractional laser"
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Ablative fractional laser"
      And no step of the plan uses "Oral antifungal"
      And the plan does not include the step "Antibacterial and antifungal cover"
      And the plan includes the step "Antibacterial cover without an antifungal" because of AG-ANTICOAGULANT-ANTIFUNGAL
      And the plan cautions about "Ablative fractional laser" because of AG-ANTICOAGULANT-ANTIBIOTIC
      And the plan cautions about "Ablative fractional laser" because of CI-ANTICOAGULANT-REVIEW

  Rule: Weakened immunity and autoimmune disease rule out deep wounding and ask for review of the rest

    @rule:CI-IMMUNOSUPPRESSED-ABLATIVE @rule:CI-IMMUNOSUPPRESSED-REVIEW
    Scenario: A client on transplant drugs gets a salicylic peel after review, never a deep wound
      Given the client's answers include:
        | question          | answer |
        | Weakened immunity | yes    |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-IMMUNOSUPPRESSED-REVIEW
      And "Ablative fractional laser" is excluded because of CI-IMMUNOSUPPRESSED-ABLATIVE
      And "Medium-depth trichloroacetic acid peel" is excluded because of CI-IMMUNOSUPPRESSED-ABLATIVE

    @rule:CI-AUTOIMMUNE-DEEP @rule:CI-AUTOIMMUNE-REVIEW
    Scenario: A client with lupus gets a salicylic peel after review of photoprotection, never a deep wound
      Given the client's answers include:
        | question                                | answer                    |
        | Autoimmune or connective-tissue disease | lupus or dermatomyositis  |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-AUTOIMMUNE-REVIEW
      And "Ablative fractional laser" is excluded because of CI-AUTOIMMUNE-DEEP

  Rule: Diabetes: uncontrolled rules out deep wounds and microdermabrasion; controlled asks for review of deep wounds

    @rule:CI-DIABETES-UNCONTROLLED-DEFER @rule:CI-DIABETES-UNCONTROLLED
    Scenario: Uncontrolled diabetes with lax pores: a non-ablative laser after review, never ablative resurfacing
      Given the client's answers include:
        | question           | answer          |
        | Age                | 58              |
        | Pore causes        | elasticity loss |
        | Skin type          | normal          |
        | Downtime tolerance | extended        |
        | Diabetes           | uncontrolled    |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Non-ablative fractional laser"
      And the plan cautions about "Non-ablative fractional laser" because of CI-DIABETES-UNCONTROLLED
      And "Ablative fractional laser" is excluded because of CI-DIABETES-UNCONTROLLED-DEFER
      And "Diamond-tip microdermabrasion" is excluded because of CI-DIABETES-UNCONTROLLED-DEFER

    @rule:CI-DIABETES-RESURFACING
    Scenario: Controlled diabetes asks for review of ablative resurfacing only; the salicylic peel is ready
      Given the client's answers include:
        | question | answer     |
        | Diabetes | controlled |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Salicylic acid peel"
      And "Ablative fractional laser" has a caution from CI-DIABETES-RESURFACING

  Rule: Radiotherapy, recent surgery and light-triggered seizures

    @rule:CI-RADIOTHERAPY-DEEP @rule:CI-RADIOTHERAPY-REVIEW
    Scenario: Radiotherapy to the face rules out deep wounding and asks for review of a laser
      Given the client's answers include:
        | question            | answer          |
        | Age                 | 60              |
        | Pore causes         | elasticity loss |
        | Skin type           | normal          |
        | Facial radiotherapy | yes             |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Non-ablative fractional laser"
      And the plan cautions about "Non-ablative fractional laser" because of CI-RADIOTHERAPY-REVIEW
      And "Diamond-tip microdermabrasion" has a caution from CI-RADIOTHERAPY-REVIEW
      And "Ablative fractional laser" is excluded because of CI-RADIOTHERAPY-DEEP

    @rule:CI-RECENT-FACIAL-SURGERY
    Scenario: Facial surgery three months ago defers every technique until six months after it
      Given the client's answers include:
        | question            | answer                         |
        | Last facial surgery | 3 months before the assessment |
      When the protocol is applied
      Then the plan status is "not suitable"
      And "Salicylic acid peel" is excluded because of CI-RECENT-FACIAL-SURGERY
      And the plan may be reconsidered from 2027-02-25

    @rule:CI-SEIZURES-LASER
    Scenario: Light-triggered seizures ask for review of a laser: a client with lax pores gets it after review
      Given the client's answers include:
        | question                             | answer          |
        | Age                                  | 50              |
        | Pore causes                          | elasticity loss |
        | Skin type                            | normal          |
        | Epilepsy or light-triggered seizures | yes             |
      When the protocol is applied
      Then "Non-ablative fractional laser" has a caution from CI-SEIZURES-LASER
      And "Nd:YAG 1064 nm laser" has a caution from CI-SEIZURES-LASER

  Rule: Pigment disorders and darker skin keep away the techniques that worsen pigment

    @rule:CI-MELASMA-MDA @rule:CI-MELASMA-ABLATIVE
    Scenario: Melasma with congested pores gets a salicylic peel; microdermabrasion and ablative resurfacing are excluded
      Given the client's answers include:
        | question              | answer |
        | Fitzpatrick skin type | 3      |
        | Melasma               | yes    |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Salicylic acid peel"
      And "Diamond-tip microdermabrasion" is excluded because of CI-MELASMA-MDA
      And "Ablative fractional laser" is excluded because of CI-MELASMA-ABLATIVE

    @rule:CI-MELASMA-REVIEW @rule:REQ-ND-YAG-PROTOCOL-MELASMA
    Scenario: Melasma with sun-damaged pores gets low-fluence Q-switched Nd:YAG after review
      Given the client's answers include:
        | question              | answer     |
        | Age                   | 45         |
        | Fitzpatrick skin type | 3          |
        | Pore causes           | sun damage |
        | Skin type             | normal     |
        | Melasma               | yes        |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Nd:YAG 1064 nm laser"
      And the plan cautions about "Nd:YAG 1064 nm laser" because of CI-MELASMA-REVIEW
      And the plan includes the step "Nd:YAG protocol: low-fluence Q-switched" because of REQ-ND-YAG-PROTOCOL-MELASMA

    @rule:CI-VITILIGO-PEELS-REVIEW @rule:CI-VITILIGO-MDA @rule:CI-VITILIGO-REVIEW @rule:CI-VITILIGO-MEDIUM-PEEL
    Scenario: Vitiligo asks for review of a superficial peel and a laser and rules out microdermabrasion and a medium peel
      Given the client's answers include:
        | question | answer |
        | Vitiligo | yes    |
      When the protocol is applied
      Then the plan status is "needs review"
      And the plan chooses "Salicylic acid peel"
      And the plan cautions about "Salicylic acid peel" because of CI-VITILIGO-PEELS-REVIEW
      And "Diamond-tip microdermabrasion" is excluded because of CI-VITILIGO-MDA
      And "Medium-depth trichloroacetic acid peel" is excluded because of CI-VITILIGO-MEDIUM-PEEL
      And "Nd:YAG 1064 nm laser" has a caution from CI-VITILIGO-REVIEW

    @rule:CI-PIH-HISTORY-LASER-REVIEW
    Scenario: A history of lasting dark marks asks for review of a laser, so microdermabrasion without caution comes first
      Given the client's answers include:
        | question                      | answer          |
        | Age                           | 48              |
        | Pore causes                   | elasticity loss |
        | Skin type                     | normal          |
        | History of lasting dark marks | yes             |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Diamond-tip microdermabrasion"
      And "Non-ablative fractional laser" has a caution from CI-PIH-HISTORY-LASER-REVIEW
      And "Diamond-tip microdermabrasion" is ranked above "Non-ablative fractional laser" because it has fewer cautions

    @rule:CI-DARK-SKIN-ABLATIVE @rule:CI-DARK-SKIN-MEDIUM-PEEL
    Scenario: Fitzpatrick type IV with lax pores gets a non-ablative fractional laser; ablative resurfacing is excluded
      Given the client's answers include:
        | question              | answer          |
        | Age                   | 50              |
        | Fitzpatrick skin type | 4               |
        | Pore causes           | elasticity loss |
        | Skin type             | normal          |
      When the protocol is applied
      Then the plan status is "ready"
      And the plan chooses "Non-ablative fractional laser"
      And "Ablative fractional laser" is excluded because of CI-DARK-SKIN-ABLATIVE
      And "Medium-depth trichloroacetic acid peel" has a caution from CI-DARK-SKIN-MEDIUM-PEEL
