//! Privacy: `userPrivacySettingRule*`, `userPrivacySettingRules` and
//! `newChatPrivacySettings`.

use serde::{Deserialize, Serialize};

use super::ids;

/// A TDLib privacy rule (`userPrivacySettingRule*`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "@type")]
pub enum PrivacyRule {
    /// Allow all users.
    #[serde(rename = "userPrivacySettingRuleAllowAll")]
    AllowAll,
    /// Allow all contacts of the user.
    #[serde(rename = "userPrivacySettingRuleAllowContacts")]
    AllowContacts,
    /// Allow all bots.
    #[serde(rename = "userPrivacySettingRuleAllowBots")]
    AllowBots,
    /// Allow all Telegram Premium users.
    #[serde(rename = "userPrivacySettingRuleAllowPremiumUsers")]
    AllowPremiumUsers,
    /// Allow the listed users.
    #[serde(rename = "userPrivacySettingRuleAllowUsers")]
    AllowUsers {
        /// The user identifiers.
        #[serde(deserialize_with = "ids::flexible_ids", default)]
        user_ids: Vec<i64>,
    },
    /// Allow all members of the listed basic groups and supergroups.
    #[serde(rename = "userPrivacySettingRuleAllowChatMembers")]
    AllowChatMembers {
        /// The TDLib chat identifiers of the groups.
        #[serde(deserialize_with = "ids::flexible_ids", default)]
        chat_ids: Vec<i64>,
    },
    /// Restrict all users.
    #[serde(rename = "userPrivacySettingRuleRestrictAll")]
    RestrictAll,
    /// Restrict all contacts of the user.
    #[serde(rename = "userPrivacySettingRuleRestrictContacts")]
    RestrictContacts,
    /// Restrict all bots.
    #[serde(rename = "userPrivacySettingRuleRestrictBots")]
    RestrictBots,
    /// Restrict the listed users.
    #[serde(rename = "userPrivacySettingRuleRestrictUsers")]
    RestrictUsers {
        /// The user identifiers.
        #[serde(deserialize_with = "ids::flexible_ids", default)]
        user_ids: Vec<i64>,
    },
    /// Restrict all members of the listed basic groups and supergroups.
    #[serde(rename = "userPrivacySettingRuleRestrictChatMembers")]
    RestrictChatMembers {
        /// The TDLib chat identifiers of the groups.
        #[serde(deserialize_with = "ids::flexible_ids", default)]
        chat_ids: Vec<i64>,
    },
}

/// `userPrivacySettingRules`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "userPrivacySettingRules")]
pub struct PrivacyRules {
    /// The rules, applied in order: the first one that matches a user decides.
    pub rules: Vec<PrivacyRule>,
}

/// `newChatPrivacySettings`
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "@type", rename = "newChatPrivacySettings")]
pub struct NewChatPrivacySettings {
    /// True, if users who are not contacts may write first (Premium users always can).
    pub allow_new_chats_from_unknown_users: bool,
    /// Telegram Stars non-contacts must pay for every incoming private message; 0 if free.
    pub incoming_paid_message_star_count: i64,
}

/// What reading a privacy setting gives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PrivacyValue {
    /// A `userPrivacySetting*` setting's rules.
    Rules(PrivacyRules),
    /// The `newChatPrivacySettings` pseudo-setting.
    NewChats(NewChatPrivacySettings),
}
