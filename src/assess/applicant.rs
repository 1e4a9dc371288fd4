//! The structured part of a loan application.
//!
//! Professional debt-bearing (职业背债) shows less in what an application
//! says than in how its numbers disagree: a claimed income eight times the
//! bank flow, a house bought at twice its appraisal, a brand-new credit file
//! asking for millions. `signals` cross-checks these fields; this module
//! only holds them and rejects values that cannot be real, so a typo never
//! turns into a fraud signal. Every field is optional because intake forms
//! differ between products (a credit card has no property price).

use serde::{Deserialize, Serialize};

/// Largest amount (yuan) accepted in any money field.
pub const MAX_AMOUNT: f64 = 1e11;
/// Largest month count accepted (a century).
pub const MAX_MONTHS: u32 = 1200;
/// Largest number of credit accounts accepted.
pub const MAX_ACCOUNTS: u32 = 10_000;
/// Longest free-text field accepted, in chars.
pub const MAX_TEXT_CHARS: usize = 500;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Applicant {
    /// `employed`, `unemployed`, `self_employed`, `retired`, `student`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employment_status: Option<String>,
    /// Income the applicant states, yuan per month.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_monthly_income: Option<f64>,
    /// Average monthly inflow seen on the bank statements, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bank_flow_monthly_avg: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub social_insurance_active: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provident_fund_active: Option<bool>,
    /// Age of the credit file in months (0 = no history, "白户").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_history_months: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit_accounts: Option<u32>,
    /// Amount requested, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loan_amount: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loan_purpose: Option<String>,
    /// Down payment as a fraction of the price, 0..=1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub down_payment_ratio: Option<f64>,
    /// Contract price of the property or vehicle, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_price: Option<f64>,
    /// The bank's appraisal of the same, yuan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property_appraisal: Option<f64>,
    /// Months between acquiring the collateral and reselling it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resale_within_months: Option<u32>,
    /// Collateral far from where the applicant lives and works.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_collateral: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub employer: Option<String>,
}

fn check_amount(field: &str, v: Option<f64>) -> Result<(), String> {
    match v {
        Some(x) if !x.is_finite() => Err(format!("{field}: not a finite number")),
        Some(x) if x < 0.0 => Err(format!("{field}: negative amount {x}")),
        Some(x) if x > MAX_AMOUNT => Err(format!("{field}: {x} exceeds {MAX_AMOUNT:e}")),
        _ => Ok(()),
    }
}

fn check_count(field: &str, v: Option<u32>, max: u32) -> Result<(), String> {
    match v {
        Some(x) if x > max => Err(format!("{field}: {x} exceeds {max}")),
        _ => Ok(()),
    }
}

fn check_text(field: &str, v: &Option<String>) -> Result<(), String> {
    match v {
        Some(s) if s.chars().count() > MAX_TEXT_CHARS => {
            Err(format!("{field}: longer than {MAX_TEXT_CHARS} chars"))
        }
        _ => Ok(()),
    }
}

impl Applicant {
    /// Rejects values that cannot be real: negative or non-finite amounts,
    /// amounts over [`MAX_AMOUNT`], a ratio outside [0, 1], absurd counts,
    /// overlong text. The message names the field.
    pub fn validate(&self) -> Result<(), String> {
        check_amount("claimed_monthly_income", self.claimed_monthly_income)?;
        check_amount("bank_flow_monthly_avg", self.bank_flow_monthly_avg)?;
        check_amount("loan_amount", self.loan_amount)?;
        check_amount("property_price", self.property_price)?;
        check_amount("property_appraisal", self.property_appraisal)?;
        match self.down_payment_ratio {
            Some(r) if !r.is_finite() => {
                return Err("down_payment_ratio: not a finite number".into());
            }
            Some(r) if !(0.0..=1.0).contains(&r) => {
                return Err(format!("down_payment_ratio: {r} is outside [0, 1]"));
            }
            _ => {}
        }
        check_count(
            "credit_history_months",
            self.credit_history_months,
            MAX_MONTHS,
        )?;
        check_count(
            "resale_within_months",
            self.resale_within_months,
            MAX_MONTHS,
        )?;
        check_count("credit_accounts", self.credit_accounts, MAX_ACCOUNTS)?;
        check_text("employment_status", &self.employment_status)?;
        check_text("loan_purpose", &self.loan_purpose)?;
        check_text("phone", &self.phone)?;
        check_text("address", &self.address)?;
        check_text("employer", &self.employer)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_applicants_parse_with_integer_amounts() {
        let a: Applicant = serde_json::from_str(
            r#"{"employment_status": "employed", "claimed_monthly_income": 25000,
                "bank_flow_monthly_avg": 3100, "social_insurance_active": false,
                "credit_history_months": 2, "credit_accounts": 1, "loan_amount": 468000,
                "loan_purpose": "购车", "down_payment_ratio": 0.0, "remote_collateral": true}"#,
        )
        .unwrap();
        assert_eq!(a.claimed_monthly_income, Some(25000.0));
        assert_eq!(a.down_payment_ratio, Some(0.0));
        assert_eq!(a.provident_fund_active, None);
        assert!(a.validate().is_ok());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        let e = serde_json::from_str::<Applicant>(r#"{"monthly_income": 1}"#).unwrap_err();
        assert!(e.to_string().contains("monthly_income"), "{e}");
    }

    #[test]
    fn every_example_applicant_parses_and_validates() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/knowledge-base/examples");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let v: serde_json::Value = match serde_json::from_str(line) {
                    Ok(v) => v,
                    Err(_) => continue,
                };
                if let Some(a) = v.get("applicant") {
                    let a: Applicant = serde_json::from_value(a.clone())
                        .unwrap_or_else(|e| panic!("{}: {e}", v["id"]));
                    a.validate().unwrap();
                    n += 1;
                }
            }
        }
        assert!(n >= 30, "only {n} applicants");
    }

    #[test]
    fn impossible_values_are_rejected_naming_the_field() {
        let cases: Vec<(Applicant, &str)> = vec![
            (
                Applicant {
                    loan_amount: Some(-1.0),
                    ..Default::default()
                },
                "loan_amount",
            ),
            (
                Applicant {
                    claimed_monthly_income: Some(f64::NAN),
                    ..Default::default()
                },
                "claimed_monthly_income",
            ),
            (
                Applicant {
                    property_price: Some(2e11),
                    ..Default::default()
                },
                "property_price",
            ),
            (
                Applicant {
                    down_payment_ratio: Some(1.5),
                    ..Default::default()
                },
                "down_payment_ratio",
            ),
            (
                Applicant {
                    down_payment_ratio: Some(-0.1),
                    ..Default::default()
                },
                "down_payment_ratio",
            ),
            (
                Applicant {
                    bank_flow_monthly_avg: Some(f64::INFINITY),
                    ..Default::default()
                },
                "bank_flow_monthly_avg",
            ),
            (
                Applicant {
                    credit_history_months: Some(5000),
                    ..Default::default()
                },
                "credit_history_months",
            ),
            (
                Applicant {
                    employer: Some("某".repeat(600)),
                    ..Default::default()
                },
                "employer",
            ),
        ];
        for (a, field) in cases {
            let e = a.validate().unwrap_err();
            assert!(e.starts_with(field), "{e}");
        }
        let edge = Applicant {
            down_payment_ratio: Some(1.0),
            loan_amount: Some(0.0),
            property_price: Some(MAX_AMOUNT),
            ..Default::default()
        };
        assert!(edge.validate().is_ok());
    }
}
