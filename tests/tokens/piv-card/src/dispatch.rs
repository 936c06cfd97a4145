//! trussed backend dispatch for the PIV applet: core trussed plus the extensions
//! piv-authenticator 0.7 requires (`piv_authenticator::Client`): trussed-auth (PINs, via
//! trussed-auth-backend) and chunked / wrap-key-to-file / HPKE (via trussed-staging).

use trussed::{
    backend::Backend as _,
    serde_extensions::{ExtensionDispatch, ExtensionId, ExtensionImpl},
    service::ServiceResources,
    types::{Context, CoreContext},
    Platform,
};
use trussed_auth::AuthExtension;
use trussed_auth_backend::{AuthBackend, AuthContext, FilesystemLayout};
use trussed_chunked::ChunkedExtension;
use trussed_core::{
    api::{reply, request, Reply, Request},
    serde_extensions::Extension,
    types::Location,
    Error,
};
use trussed_hpke::HpkeExtension;
use trussed_staging::{StagingBackend, StagingContext};
use trussed_wrap_key_to_file::WrapKeyToFileExtension;

pub struct Dispatcher {
    auth: AuthBackend,
    staging: StagingBackend,
}

impl Default for Dispatcher {
    fn default() -> Self {
        Self {
            // PIN files live in internal flash, like on the Nitrokey 3.
            auth: AuthBackend::new(Location::Internal, FilesystemLayout::V0),
            staging: StagingBackend::new(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub enum BackendIds {
    Auth,
    Staging,
}

#[derive(Debug, Clone, Copy)]
pub enum ExtensionIds {
    Auth,
    Chunked,
    WrapKeyToFile,
    Hpke,
}

impl From<ExtensionIds> for u8 {
    fn from(id: ExtensionIds) -> u8 {
        match id {
            ExtensionIds::Auth => 0,
            ExtensionIds::Chunked => 1,
            ExtensionIds::WrapKeyToFile => 2,
            ExtensionIds::Hpke => 3,
        }
    }
}

impl TryFrom<u8> for ExtensionIds {
    type Error = Error;
    fn try_from(id: u8) -> Result<Self, Error> {
        Ok(match id {
            0 => Self::Auth,
            1 => Self::Chunked,
            2 => Self::WrapKeyToFile,
            3 => Self::Hpke,
            _ => return Err(Error::FunctionNotSupported),
        })
    }
}

/// Which id names each extension the applet uses.
macro_rules! extension_ids {
    ($($extension:ty => $id:ident),* $(,)?) => {$(
        impl ExtensionId<$extension> for Dispatcher {
            type Id = ExtensionIds;
            const ID: ExtensionIds = ExtensionIds::$id;
        }
    )*};
}

extension_ids! {
    AuthExtension => Auth,
    ChunkedExtension => Chunked,
    WrapKeyToFileExtension => WrapKeyToFile,
    HpkeExtension => Hpke,
}

#[derive(Default)]
pub struct DispatchContext {
    auth: AuthContext,
    staging: StagingContext,
}

impl ExtensionDispatch for Dispatcher {
    type BackendId = BackendIds;
    type Context = DispatchContext;
    type ExtensionId = ExtensionIds;

    fn core_request<P: Platform>(
        &mut self,
        backend: &BackendIds,
        ctx: &mut Context<DispatchContext>,
        request: &Request,
        resources: &mut ServiceResources<P>,
    ) -> Result<Reply, Error> {
        match backend {
            BackendIds::Auth => Err(Error::RequestNotAvailable),
            BackendIds::Staging => {
                self.staging
                    .request(&mut ctx.core, &mut ctx.backends.staging, request, resources)
            }
        }
    }

    fn extension_request<P: Platform>(
        &mut self,
        backend: &BackendIds,
        extension: &ExtensionIds,
        ctx: &mut Context<DispatchContext>,
        request: &request::SerdeExtension,
        resources: &mut ServiceResources<P>,
    ) -> Result<reply::SerdeExtension, Error> {
        let core = &mut ctx.core;
        let auth = (&mut self.auth, &mut ctx.backends.auth);
        let staging = (&mut self.staging, &mut ctx.backends.staging);
        match (backend, extension) {
            (BackendIds::Auth, ExtensionIds::Auth) => {
                serve::<AuthExtension, _, P>(auth, core, request, resources)
            }
            (BackendIds::Staging, ExtensionIds::Chunked) => {
                serve::<ChunkedExtension, _, P>(staging, core, request, resources)
            }
            (BackendIds::Staging, ExtensionIds::WrapKeyToFile) => {
                serve::<WrapKeyToFileExtension, _, P>(staging, core, request, resources)
            }
            (BackendIds::Staging, ExtensionIds::Hpke) => {
                serve::<HpkeExtension, _, P>(staging, core, request, resources)
            }
            _ => Err(Error::RequestNotAvailable),
        }
    }
}

/// One extension request, served by the backend (and its context) that implements it.
fn serve<E: Extension, B: ExtensionImpl<E>, P: Platform>(
    (backend, backend_ctx): (&mut B, &mut B::Context),
    core: &mut CoreContext,
    request: &request::SerdeExtension,
    resources: &mut ServiceResources<P>,
) -> Result<reply::SerdeExtension, Error> {
    ExtensionImpl::<E>::extension_request_serialized(backend, core, backend_ctx, request, resources)
}
