//! The methods of piggy-bank: what `piggy-bank.nubes` declares, implemented on [`App`].

use nubes_runtime::{Ctx, Error};

use piggy_bank_model::account::{self, TransferError, WithdrawError};
use piggy_bank_model::{Account, Insufficient};

/// The application. Its state lives in the store and is reached through the [`Ctx`] of
/// each call, so every change a method makes commits with it, exactly once.
#[derive(Debug, Clone, Copy, Default)]
pub struct App;

impl account::Methods for App {
    async fn deposit(&self, this: &mut Account, ctx: &mut Ctx, amount: i64) -> Result<i64, Error> {
        let amount = positive(amount)?;
        this.balance = this
            .balance
            .checked_add(amount)
            .ok_or_else(|| Error::validation("the balance would overflow"))?;
        this.changed = Some(ctx.now());
        Ok(this.balance)
    }

    async fn withdraw(
        &self,
        this: &mut Account,
        ctx: &mut Ctx,
        amount: i64,
    ) -> Result<i64, WithdrawError> {
        let amount = positive(amount)?;
        if this.balance < amount {
            return Err(Insufficient {
                balance: this.balance,
            }
            .into());
        }
        this.balance -= amount;
        this.changed = Some(ctx.now());
        Ok(this.balance)
    }

    async fn transfer(
        &self,
        this: &mut Account,
        ctx: &mut Ctx,
        to: account::Id,
        amount: i64,
    ) -> Result<(), TransferError> {
        let amount = positive(amount)?;
        if !to.exists(ctx).await? {
            return Err(Error::not_found("Account", &to.0).into());
        }
        if this.balance < amount {
            return Err(Insufficient {
                balance: this.balance,
            }
            .into());
        }
        this.balance -= amount;
        this.changed = Some(ctx.now());
        // Queued with this call's commit; runs after it, exactly once.
        to.later().deposit(ctx, amount)?;
        Ok(())
    }
}

/// `amount` when it is more than zero.
fn positive(amount: i64) -> Result<i64, Error> {
    if amount > 0 {
        Ok(amount)
    } else {
        Err(Error::validation(format!(
            "an amount must be more than 0, not {amount}"
        )))
    }
}
